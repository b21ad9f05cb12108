package dev.bitsbridge.proxy.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.config.CacheConfig;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.ProxyFixture;
import dev.bitsbridge.proxy.testing.RawHttp;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A proxy with the cache answers every request exactly as one without it: same status, same
 * headers (Date aside), same body, for ranges, conditionals, If-Range, HEAD, several ranges, an
 * empty object and errors; both cold and warm. The uncached proxy is the oracle, so the cache
 * inherits every rule DownloadSemanticsTest pins.
 */
class CachedAnswersTest {

    private static final byte[] DATA = new byte[700_001];

    static {
        new Random(5).nextBytes(DATA);
    }

    @RegisterExtension
    static final ProxyFixture fx = ProxyFixture.builder().bucket("same").object("data.bin", DATA)
            .object("empty.bin", new byte[0]).object("page.html", "<p>hi</p>".getBytes(), "text/html")
            .withoutProxy().build();

    static BitsBridgeServer plain;
    static BitsBridgeServer cached;
    static String etag;

    @BeforeAll
    static void start() throws Exception {
        plain = fx.startProxy(b -> b);
        java.nio.file.Path dir = fx.newDir();
        cached = fx.startProxy(b -> b.cache(CacheConfig.OFF.withDir(dir).withSliceSize(64 * 1024)));
        etag = RawHttp.exchange(plain.port(), RawHttp.get("/data.bin")).header("ETag");
    }

    static List<String> requests() {
        return List.of(
                RawHttp.get("/data.bin"),
                RawHttp.get("/data.bin", "Range: bytes=0-0"),
                RawHttp.get("/data.bin", "Range: bytes=-100"),
                RawHttp.get("/data.bin", "Range: bytes=65530-131080"),
                RawHttp.get("/data.bin", "Range: bytes=700000-"),
                RawHttp.get("/data.bin", "Range: bytes=9000000-9000001"),
                RawHttp.get("/data.bin", "Range: bytes=5-1,zz"),
                RawHttp.get("/data.bin", "Range: bytes=0-9,100-199"),
                RawHttp.get("/data.bin", "Range: bytes=10-20", "If-Range: " + etag),
                RawHttp.get("/data.bin", "Range: bytes=10-20", "If-Range: \"other\""),
                RawHttp.get("/data.bin", "If-None-Match: " + etag),
                RawHttp.get("/data.bin", "If-Match: \"other\""),
                RawHttp.get("/data.bin", "If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT"),
                RawHttp.get("/data.bin", "If-Unmodified-Since: Thu, 01 Jan 1970 00:00:00 GMT"),
                "HEAD /data.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                RawHttp.get("/empty.bin"),
                RawHttp.get("/empty.bin", "Range: bytes=0-0"),
                RawHttp.get("/page.html"),
                RawHttp.get("/missing.bin"),
                "HEAD /missing.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    }

    @Test
    void everyAnswerIsTheUncachedOneColdAndWarm() throws Exception {
        for (int round = 0; round < 2; round++) {
            for (String req : requests()) {
                RawHttp.Response want = RawHttp.exchange(plain.port(), req);
                RawHttp.Response got = RawHttp.exchange(cached.port(), req);
                String what = "round " + round + ": " + req.lines().toList();
                assertEquals(want.statusLine(), got.statusLine(), what);
                assertEquals(comparable(want.headers()), comparable(got.headers()), what);
                assertEquals(unbounded(want), unbounded(got), what);
                assertTrue(got.complete(), what);
            }
        }
        assertTrue(cached.cache().stats().hits() > 0, "the warm round was served from the cache");
    }

    /** Headers without Date, and a multipart boundary (random per response) named B. */
    private static Map<String, String> comparable(Map<String, String> headers) {
        Map<String, String> m = new TreeMap<>(headers);
        m.remove("date");
        m.computeIfPresent("content-type", (k, v) -> v.replaceAll("boundary=\\S+", "boundary=B"));
        return m;
    }

    private static String unbounded(RawHttp.Response r) {
        String body = new String(r.body(), java.nio.charset.StandardCharsets.ISO_8859_1);
        String ct = r.header("Content-Type");
        int b = ct == null ? -1 : ct.indexOf("boundary=");
        return b < 0 ? body : body.replace(ct.substring(b + "boundary=".length()), "B");
    }
}
