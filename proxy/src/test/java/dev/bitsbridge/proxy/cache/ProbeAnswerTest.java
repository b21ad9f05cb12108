package dev.bitsbridge.proxy.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.cache.ProbeAnswer.Kind;
import dev.bitsbridge.proxy.http.ObjectMetadata;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** What the cache makes of S3's answer to its probe, and when a cached version is fresh. */
class ProbeAnswerTest {

    private static final String DATE = "Tue, 01 Dec 2026 10:00:00 GMT";
    private static final ObjectEntry CACHED = new ObjectEntry("http://s3:80/b/k",
            new ObjectMetadata(1000, "\"e1\"", Instant.parse("2026-12-01T10:00:00Z"), "text/plain"), 65536, 0);

    private static HttpHeaders h(String etag, String contentRange) {
        HttpHeaders h = new DefaultHttpHeaders().set("Last-Modified", DATE).set("Content-Type", "text/plain");
        if (etag != null) {
            h.set("ETag", etag);
        }
        if (contentRange != null) {
            h.set("Content-Range", contentRange);
        }
        return h;
    }

    @Test
    void notModifiedOrTheSameVersionKeepTheCachedOne() {
        assertEquals(Kind.UNCHANGED, ProbeAnswer.of(304, new DefaultHttpHeaders(), CACHED).kind());
        assertEquals(Kind.UNCHANGED, ProbeAnswer.of(206, h("\"e1\"", "bytes 0-0/1000"), CACHED).kind(),
                "a server that ignores If-None-Match");
        assertEquals(Kind.UNCHANGED, ProbeAnswer.of(206, h("e1", "bytes 0-0/1000"), CACHED).kind(), "unquoted ETag");
    }

    @Test
    void anotherEtagOrSizeIsANewVersionWithItsMetadata() {
        ProbeAnswer a = ProbeAnswer.of(206, h("\"e2\"", "bytes 0-0/1000"), CACHED);
        assertEquals(Kind.NEW_VERSION, a.kind());
        assertEquals("\"e2\"", a.meta().etag());
        assertEquals(1000, a.meta().size());
        assertEquals("text/plain", a.meta().contentType());
        assertEquals(Kind.NEW_VERSION, ProbeAnswer.of(206, h("\"e1\"", "bytes 0-0/1001"), CACHED).kind());
        HttpHeaders whole = h("\"e3\"", null).set("Content-Length", "77");
        assertEquals(77, ProbeAnswer.of(200, whole, null).meta().size(), "a server that ignored the range");
    }

    @Test
    void whatTheCacheCannotUseGoesTheUncachedWay() {
        assertEquals(Kind.GONE, ProbeAnswer.of(404, new DefaultHttpHeaders(), CACHED).kind());
        assertEquals(Kind.UNUSABLE, ProbeAnswer.of(403, new DefaultHttpHeaders(), CACHED).kind());
        assertEquals(Kind.UNUSABLE, ProbeAnswer.of(503, new DefaultHttpHeaders(), CACHED).kind());
        assertEquals(Kind.UNUSABLE, ProbeAnswer.of(416, h("\"e\"", "bytes */0"), null).kind(), "empty object");
        assertEquals(Kind.UNUSABLE, ProbeAnswer.of(206, h(null, "bytes 0-0/1000"), null).kind(), "no ETag");
        assertEquals(Kind.UNUSABLE, ProbeAnswer.of(206, h("W/\"e\"", "bytes 0-0/1000"), null).kind(), "weak ETag");
        assertEquals(Kind.UNUSABLE, ProbeAnswer.of(206, h("\"e\"", "garbage"), null).kind(), "no size");
        assertEquals(Kind.UNUSABLE, ProbeAnswer.of(304, new DefaultHttpHeaders(), null).kind(), "304 to nothing");
    }

    @Test
    void freshOnlyWithinTheWindowAndNeverWhenTheClockWentBack() {
        ObjectEntry e = new ObjectEntry("n", new ObjectMetadata(1, "\"e\"", null, null), 65536, 10_000);
        Duration w = Duration.ofSeconds(60);
        assertTrue(e.freshAt(10_000, w));
        assertTrue(e.freshAt(69_999, w));
        assertFalse(e.freshAt(70_000, w));
        assertFalse(e.freshAt(9_999, w));
        assertFalse(e.freshAt(10_000, Duration.ZERO), "validity 0: always asks S3");
    }
}
