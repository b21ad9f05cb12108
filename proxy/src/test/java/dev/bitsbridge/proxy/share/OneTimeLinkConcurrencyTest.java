package dev.bitsbridge.proxy.share;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.testing.RawHttp;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.S3Server;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #15, finding 7: twenty concurrent whole GETs of a one-time link all got the whole object.
 * Now one transfer at a time: a second concurrent request gets 409 with a message; once the first
 * ends, a client that read part of the file resumes with a Range, and the link is spent when every
 * byte was delivered (the part the first client received counts).
 */
class OneTimeLinkConcurrencyTest {

    @TempDir
    Path state;

    @Test
    void aSecondConcurrentTransferGets409AndAPartialReaderCanResume() throws Exception {
        byte[] data = new byte[24 * 1024 * 1024]; // more than socket buffers hold
        new Random(7).nextBytes(data);
        try (S3Server s3 = new S3Server()) {
            s3.createBucket("once");
            s3.put("once", "big.bin", data);
            try (BitsBridgeServer proxy = new BitsBridgeServer(ProxyConfig.builder().port(0).bucket("once")
                    .endpoint(s3.endpoint()).stateDir(state).requireToken(true).build(), s3.credentials()).start()) {
                ShareLinks links = new ShareLinks(ShareSecret.open(state), Clock.systemUTC());
                String token = links.sign(links.newToken("big.bin", Duration.ofMinutes(5), true, false));
                String path = "/big.bin?token=" + token;
                try (RawHttp first = RawHttp.connect(proxy.port(), 16 * 1024)) {
                    first.send(RawHttp.get(path));
                    RawHttp.Response head = first.readHead();
                    assertEquals(200, head.status());
                    ByteArrayOutputStream got = new ByteArrayOutputStream();
                    assertTrue(first.readBody(got, 64 * 1024));
                    // The first transfer is in progress (its client reads no further for now).
                    for (int i = 0; i < 3; i++) {
                        RawHttp.Response second = RawHttp.exchange(proxy.port(), RawHttp.get(path));
                        assertEquals(409, second.status(), second.toString());
                        assertTrue(second.text().contains("in use by another download"), second.text());
                    }
                }
                // The first client left after 64 KiB: the link is free again and not spent; resume.
                RawHttp.Response rest = awaitNot409(proxy.port(), RawHttp.get(path, "Range: bytes=65536-"));
                assertEquals(206, rest.status(), rest.toString());
                assertEquals(data.length - 65536, rest.body().length);
                // The first 64 KiB reached the first client (its machine acknowledged them), the rest
                // the resume: every byte delivered once, spent.
                RawHttp.Response spent = awaitNot409(proxy.port(), RawHttp.get(path, "Range: bytes=0-65535"));
                long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                while (spent.status() != 410 && System.nanoTime() < deadline) {
                    spent = RawHttp.exchange(proxy.port(), RawHttp.get(path, "Range: bytes=0-0"));
                }
                assertEquals(410, spent.status(), spent.toString());
            }
        }
    }

    /** The first connection's end reaches the proxy's loop a moment after the close. */
    private static RawHttp.Response awaitNot409(int port, String request) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        RawHttp.Response r;
        do {
            r = RawHttp.exchange(port, request);
        } while (r.status() == 409 && System.nanoTime() < deadline);
        return r;
    }
}
