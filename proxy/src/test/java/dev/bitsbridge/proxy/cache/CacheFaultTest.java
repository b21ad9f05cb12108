package dev.bitsbridge.proxy.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.config.CacheConfig;
import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.fault.RawUpstream;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.RawHttp;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * S3 failing the cache's slice fetches, played by {@link RawUpstream}: a body cut short is never
 * cached and the client still gets exact bytes (the rest of the slice fetched for it alone); a
 * slice S3 keeps refusing before the first byte is answered the uncached way (the same error as
 * without a cache), and after the first byte closes the connection short.
 */
class CacheFaultTest {

    private static final int SLICE = 64 * 1024;
    private static final String ETAG = "\"0123456789abcdef0123456789abcdef\"";
    private static final byte[] DATA = new byte[8 * SLICE + 1000];

    static {
        new Random(21).nextBytes(DATA);
    }

    @TempDir
    Path dir;

    private BitsBridgeServer proxy(int port) throws Exception {
        return new BitsBridgeServer(ProxyConfig.builder().port(0).bucket("b")
                .endpoint(URI.create("http://127.0.0.1:" + port)).upstreamTimeout(Duration.ofSeconds(2))
                .upstreamRetries(1).cache(CacheConfig.OFF.withDir(dir).withSliceSize(SLICE)).build(),
                StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDFAULT", "secret-" + UUID.randomUUID())))
                .start();
    }

    private static String slice(int i) {
        return "bytes=" + (i * SLICE) + "-" + (Math.min(DATA.length, (i + 1) * SLICE) - 1);
    }

    @Test
    void aSliceCutShortIsNotCachedAndTheClientStillGetsExactBytes() throws Exception {
        AtomicInteger cuts = new AtomicInteger();
        try (RawUpstream s3 = new RawUpstream((r, n, out, socket) -> {
            if (slice(3).equals(r.header("Range")) && cuts.getAndIncrement() == 0) {
                out.write(RawUpstream.head("206 Partial Content", SLICE, ETAG,
                        "Content-Range: bytes " + 3 * SLICE + "-" + (4 * SLICE - 1) + "/" + DATA.length + "\r\n"));
                out.write(DATA, 3 * SLICE, SLICE / 2 + 100);
                out.flush();
                return false; // cut mid-body
            }
            RawUpstream.object(r, out, DATA, ETAG);
            return true;
        }); BitsBridgeServer p = proxy(s3.port())) {
            RawHttp.Response first = RawHttp.exchange(p.port(), RawHttp.get("/obj"));
            assertEquals(200, first.status());
            assertTrue(first.complete());
            assertArrayEquals(DATA, first.body());

            RawHttp.Response second = RawHttp.exchange(p.port(), RawHttp.get("/obj"));
            assertArrayEquals(DATA, second.body());
            int requests = s3.requests();
            RawHttp.Response third = RawHttp.exchange(p.port(), RawHttp.get("/obj", "Range: bytes=100-" + 5 * SLICE));

            assertArrayEquals(Arrays.copyOfRange(DATA, 100, 5 * SLICE + 1), third.body());
            assertEquals(requests, s3.requests(), "everything cached by then, the cut slice included");
            assertTrue(s3.seen().stream().filter(r -> slice(3).equals(r.header("Range"))).count() >= 2,
                    "the cut slice was asked again");
        }
    }

    @Test
    void aFirstSliceS3RefusesIsAnsweredAsWithoutACache() throws Exception {
        String body = "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>";
        try (RawUpstream s3 = new RawUpstream((r, n, out, socket) -> {
            if (slice(0).equals(r.header("Range")) || r.header("Range") == null) {
                out.write(("HTTP/1.1 403 Forbidden\r\nContent-Type: application/xml\r\nContent-Length: " + body.length()
                        + "\r\n\r\n" + body).getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                return true;
            }
            RawUpstream.object(r, out, DATA, ETAG);
            return true;
        }); BitsBridgeServer p = proxy(s3.port())) {
            RawHttp.Response r = RawHttp.exchange(p.port(), RawHttp.get("/obj"));

            assertEquals(403, r.status(), r.toString());
            assertTrue(r.text().contains("Access Denied"), r.text());
            assertTrue(r.complete());
        }
    }

    @Test
    void aLaterSliceS3RefusesClosesTheResponseShort() throws Exception {
        try (RawUpstream s3 = new RawUpstream((r, n, out, socket) -> {
            if (slice(5).equals(r.header("Range")) || (r.header("Range") != null
                    && r.header("Range").startsWith("bytes=" + 5 * SLICE))) {
                out.write("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n"
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                return true;
            }
            RawUpstream.object(r, out, DATA, ETAG);
            return true;
        }); BitsBridgeServer p = proxy(s3.port()); RawHttp c = RawHttp.connect(p.port())) {
            c.send(RawHttp.get("/obj"));
            RawHttp.Response head = c.readHead();
            assertEquals(200, head.status());
            ByteArrayOutputStream got = new ByteArrayOutputStream();

            boolean complete = c.readBody(got, DATA.length);

            assertFalse(complete, "never a clean short body");
            byte[] body = got.toByteArray();
            assertTrue(body.length <= 5 * SLICE, "stopped at the slice S3 refused: " + body.length);
            assertArrayEquals(Arrays.copyOf(DATA, body.length), body);
            assertEquals(0, Files.list(dir.resolve("slices")).flatMap(d -> {
                try {
                    return Files.list(d);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).filter(f -> f.getFileName().toString().endsWith("-5")).count(), "the refused slice is not cached");
        }
    }
}
