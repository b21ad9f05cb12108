package dev.bitsbridge.proxy.download;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.testing.RawHttp;
import dev.bitsbridge.proxy.testing.RawHttp.Response;
import dev.bitsbridge.proxy.testing.ProxyFixture;
import dev.bitsbridge.proxy.s3.S3Paths;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A BITS download job as Windows runs it: a HEAD, then 1 MiB ranges with If-Unmodified-Since on one
 * keep-alive connection, reassembled and compared byte for byte; pooled upstream connections;
 * an object replaced mid-job; keys of every awkward kind.
 */
class BitsDownloadJobTest {

    static final byte[] DATA = new byte[12 * 1024 * 1024 + 12345];

    static {
        new Random(12).nextBytes(DATA);
    }

    @RegisterExtension
    static final ProxyFixture fx = ProxyFixture.builder().bucket("jobs").object("setup.exe", DATA).build();

    private static String bits(String method, String path, String... extra) {
        StringBuilder sb = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\n")
                .append("Host: 127.0.0.1:").append(fx.port()).append("\r\n")
                .append("User-Agent: Microsoft BITS/7.8\r\nAccept: */*\r\nAccept-Encoding: identity\r\n")
                .append("Connection: Keep-Alive\r\n");
        for (String h : extra) {
            sb.append(h).append("\r\n");
        }
        return sb.append("\r\n").toString();
    }

    @Test
    void aJobOfOneHeadAndManyRangesOnOneConnectionUsesOnePooledUpstreamConnection() throws Exception {
        long before = fx.proxy().upstreamConnectionsOpened();
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        try (RawHttp c = RawHttp.connect(fx.port())) {
            c.send(bits("HEAD", "/setup.exe"));
            Response head = c.readResponse(true);
            assertEquals(200, head.status());
            long size = head.contentLength();
            assertEquals(DATA.length, size);
            String lastModified = head.header("Last-Modified");
            int requests = 0;
            for (long off = 0; off < size; off += 1024 * 1024) {
                long end = Math.min(size, off + 1024 * 1024) - 1;
                c.send(bits("GET", "/setup.exe", "Range: bytes=" + off + "-" + end,
                        "If-Unmodified-Since: " + lastModified));
                Response r = c.readResponse(false);
                assertEquals(206, r.status());
                assertEquals("bytes " + off + "-" + end + "/" + size, r.header("Content-Range"));
                assertTrue(r.complete());
                file.write(r.body());
                requests++;
            }
            assertEquals(13, requests);
        }
        assertArrayEquals(DATA, file.toByteArray(), "reassembled byte for byte");
        long opened = fx.proxy().upstreamConnectionsOpened() - before;
        assertTrue(opened <= 2, "14 requests on one client connection opened " + opened + " upstream connections");
    }

    @Test
    void anObjectReplacedMidJobAnswers412OrTheReadAheadVersionNeverMixedBytes() throws Exception {
        byte[] v1 = new byte[3 * 1024 * 1024];
        new Random(1).nextBytes(v1);
        fx.s3().put("jobs", "moving.bin", v1);
        try (RawHttp c = RawHttp.connect(fx.port())) {
            c.send(bits("HEAD", "/moving.bin"));
            Response head = c.readResponse(true);
            String lastModified = head.header("Last-Modified");
            String etag = head.header("ETag");
            c.send(bits("GET", "/moving.bin", "Range: bytes=0-1048575", "If-Unmodified-Since: " + lastModified));
            Response first = c.readResponse(false);
            assertEquals(206, first.status());

            Thread.sleep(1100); // not a wait: Last-Modified has one-second resolution, make the new version later
            byte[] v2 = new byte[3 * 1024 * 1024];
            new Random(2).nextBytes(v2);
            fx.s3().put("jobs", "moving.bin", v2);

            c.send(bits("GET", "/moving.bin", "Range: bytes=1048576-2097151", "If-Unmodified-Since: " + lastModified));
            Response second = c.readResponse(false);
            if (second.status() == 206) {
                // Read ahead (pinned to the first version) before it was replaced: the job stays on
                // the version it started with, byte for byte.
                assertEquals(etag, second.header("ETag"));
                assertArrayEquals(Arrays.copyOfRange(v1, 1048576, 2097152), second.body(), "never mixed versions");
            } else {
                assertEquals(412, second.status(), "the job must restart, not mix versions");
            }
            // Anything not already read ahead is decided on the object as it is now.
            c.send(bits("GET", "/moving.bin", "Range: bytes=1048576-2097151", "If-Unmodified-Since: " + lastModified));
            assertEquals(412, c.readResponse(false).status(), "the job must restart, not mix versions");
            c.send(bits("GET", "/moving.bin", "Range: bytes=1048576-2097151", "If-Match: " + etag));
            assertEquals(412, c.readResponse(false).status(), "the same with the ETag");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"a b.txt", "plus+sign.bin", "eq=amp&at@.bin", "quote'paren(1).bin", "percent%20literal.bin",
        "literal%2Fslash.bin", "dir/sub dir/ü-ünïcødé.txt", "emoji-😀.bin", "tilde~dash-under_score.bin", "semi;colon,comma.bin"})
    void awkwardKeysRoundTrip(String key) throws Exception {
        byte[] data = ("content of " + key).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        fx.s3().put("jobs", key, data);
        String path = "/" + S3Paths.encodeKey(key);
        Response r = RawHttp.exchange(fx.port(), RawHttp.get(path));
        assertEquals(200, r.status(), key + " as " + path + ": " + r);
        assertArrayEquals(data, r.body());
        Response ranged = RawHttp.exchange(fx.port(), RawHttp.get(path, "Range: bytes=0-6"));
        assertEquals(206, ranged.status());
        assertArrayEquals(java.util.Arrays.copyOf(data, 7), ranged.body());
    }

    @Test
    void aSlowReaderGetsEveryByte() throws Exception {
        try (RawHttp c = RawHttp.connect(fx.port(), 32 * 1024)) {
            c.send(RawHttp.get("/setup.exe", "Range: bytes=0-4194303"));
            Response head = c.readHead();
            assertEquals(206, head.status());
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            byte[] buf = new byte[64 * 1024];
            long left = 4 * 1024 * 1024;
            while (left > 0) {
                int n = c.input().read(buf, 0, (int) Math.min(buf.length, left));
                assertTrue(n > 0);
                got.write(buf, 0, n);
                left -= n;
                Thread.sleep(2); // pacing, not a wait: about 30 MB/s at most, slower than the proxy can send
            }
            assertArrayEquals(java.util.Arrays.copyOf(DATA, 4 * 1024 * 1024), got.toByteArray());
        }
    }
}
