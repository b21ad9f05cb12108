package dev.bitsbridge.proxy.share;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.Await;
import dev.bitsbridge.proxy.testing.RawHttp;
import dev.bitsbridge.proxy.testing.S3Server;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #15, finding 7, the second half: "delivered" is what the client received, and a one-time
 * link has a delivered-bytes budget (twice its object). A client that read part of a large object
 * and left resumes with a Range and completes, and then the link is spent; Range requests that
 * hold back the last byte (which never cover the object) run into the budget: 410.
 */
class OneTimeLinkDeliveryTest {

    /** Far more than loopback's socket buffers: a client that leaves early leaves most of it unwritten. */
    private static final byte[] LARGE = new byte[24 * 1024 * 1024];
    private static final byte[] SMALL = new byte[256 * 1024];

    @TempDir
    static Path state;
    private static S3Server s3;
    private static BitsBridgeServer proxy;
    private static ShareLinks links;

    @BeforeAll
    static void start() throws Exception {
        new Random(11).nextBytes(LARGE);
        new Random(12).nextBytes(SMALL);
        s3 = new S3Server();
        s3.createBucket("once");
        s3.put("once", "large.iso", LARGE);
        s3.put("once", "small.bin", SMALL);
        proxy = new BitsBridgeServer(ProxyConfig.builder().port(0).bucket("once").endpoint(s3.endpoint())
                .stateDir(state).requireToken(true).build(), s3.credentials()).start();
        links = new ShareLinks(ShareSecret.open(state), Clock.systemUTC());
    }

    @AfterAll
    static void stop() throws Exception {
        proxy.close();
        s3.close();
    }

    private static String once(String key) {
        return "/" + key + "?token=" + links.sign(links.newToken(key, Duration.ofMinutes(10), true, false));
    }

    /** The proxy has seen every client leave: the cut response has been counted. */
    private static void awaitIdle() throws Exception {
        Await.until(Duration.ofSeconds(10), () -> proxy.requestsInFlight() == 0 && proxy.openConnections() == 0,
                () -> proxy.requestsInFlight() + " requests in flight, " + proxy.openConnections() + " connections");
    }

    @Test
    void anAbortedDownloadResumesToTheEndAndThenTheLinkIsSpent() throws Exception {
        String path = once("large.iso");
        int read = 1024 * 1024;
        try (RawHttp c = RawHttp.connect(proxy.port(), 16 * 1024)) {
            c.send(RawHttp.get(path));
            assertEquals(200, c.readHead().status());
            assertArrayEquals(Arrays.copyOf(LARGE, read), c.input().readNBytes(read));
        } // the client leaves with most of the object unsent
        awaitIdle();
        assertEquals(200, RawHttp.exchange(proxy.port(), head(path)).status(), "not spent: the client lacks most of it");

        RawHttp.Response rest = RawHttp.exchange(proxy.port(), RawHttp.get(path, "Range: bytes=" + read + "-"));
        assertEquals(206, rest.status(), rest.toString());
        assertEquals("bytes " + read + "-" + (LARGE.length - 1) + "/" + LARGE.length, rest.header("Content-Range"));
        assertArrayEquals(Arrays.copyOfRange(LARGE, read, LARGE.length), rest.body());
        awaitIdle();
        RawHttp.Response after = RawHttp.exchange(proxy.port(), RawHttp.get(path, "Range: bytes=0-0"));
        assertEquals(410, after.status(), "the two responses delivered every byte: " + after);
    }

    @Test
    void rangesThatHoldBackTheLastByteRunIntoTheBudget() throws Exception {
        String path = once("small.bin");
        String allButLast = "Range: bytes=0-" + (SMALL.length - 2);
        try (RawHttp c = RawHttp.connect(proxy.port())) {
            for (int i = 0; i < 2; i++) {
                c.send(RawHttp.get(path, allButLast));
                RawHttp.Response r = c.readResponse(false);
                assertEquals(206, r.status(), "twice the object fits the budget: " + r);
                assertArrayEquals(Arrays.copyOf(SMALL, SMALL.length - 1), r.body());
            }
            c.send(RawHttp.get(path, allButLast));
            RawHttp.Response over = c.readResponse(false);
            assertEquals(410, over.status(), over.toString());
            assertTrue(over.text().contains("2 times its file's size"), over.text());
        }
        // The budget is bytes delivered, not requests: the missing byte still fits, and spends the link.
        RawHttp.Response last = RawHttp.exchange(proxy.port(), RawHttp.get(path, "Range: bytes=-1"));
        assertEquals(206, last.status(), last.toString());
        assertArrayEquals(new byte[] {SMALL[SMALL.length - 1]}, last.body());
        awaitIdle();
        assertEquals(410, RawHttp.exchange(proxy.port(), head(path)).status(), "spent");
    }

    private static String head(String path) {
        return RawHttp.get(path).replaceFirst("^GET ", "HEAD ");
    }
}
