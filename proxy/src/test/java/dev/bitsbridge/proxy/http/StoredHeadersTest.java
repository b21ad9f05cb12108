package dev.bitsbridge.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StoredHeadersTest {

    @Test
    void keepsTheStoredRepresentationHeadersAndUserMetadataOnly() {
        HttpHeaders up = new DefaultHttpHeaders()
                .add("Content-Disposition", "attachment; filename=\"a.txt\"")
                .add("Content-Encoding", "gzip")
                .add("Content-Language", "de")
                .add("Cache-Control", "max-age=60")
                .add("Expires", "Wed, 21 Oct 2037 07:28:00 GMT")
                .add("x-amz-meta-owner", "team")
                .add("X-Amz-Meta-Build", "42")
                .add("x-amz-meta-", "no name")
                .add("x-amz-request-id", "abc")
                .add("Server", "AmazonS3")
                .add("Content-Length", "10")
                .add("Transfer-Encoding", "chunked")
                .add("x-amz-checksum-crc32", "AAAA");
        Map<String, String> s = StoredHeaders.from(up);
        assertEquals(List.of("content-disposition", "content-encoding", "content-language", "cache-control", "expires",
                "x-amz-meta-owner", "x-amz-meta-build"), List.copyOf(s.keySet()));
        assertEquals("42", s.get("x-amz-meta-build"));
    }

    @Test
    void refusesValuesThatCouldBreakAHeaderAndBoundsTheTotal() {
        HttpHeaders up = new DefaultHttpHeaders(false)
                .add("x-amz-meta-a", "ok")
                .add("x-amz-meta-b", "line\r\nSet-Cookie: x=y")
                .add("x-amz-meta-c", "caf\u00e9")
                .add("x-amz-meta-big", "x".repeat(9000));
        Map<String, String> s = StoredHeaders.from(up);
        assertEquals(Map.of("x-amz-meta-a", "ok"), s);
    }

    @Test
    void aNotModifiedRepeatsCacheControlAndExpiresOnly() {
        ObjectMetadata meta = new ObjectMetadata(36, "\"e\"", Instant.ofEpochSecond(1_700_000_000), "text/plain",
                Map.of("cache-control", "max-age=60", "content-disposition", "inline", "expires", "0"));
        HttpHeaders h = ResponseHeaders.notModified(meta);
        assertEquals("max-age=60", h.get("Cache-Control"));
        assertEquals("0", h.get("Expires"));
        assertEquals("\"e\"", h.get("ETag"));
        assertTrue(h.contains("Last-Modified"));
        assertNull(h.get("Content-Disposition"));
        assertFalse(h.contains("Content-Length"), "RFC 9110 §8.6");
    }

    @Test
    void multipartAnswersDoNotClaimTheObjectsEncodingForTheirFraming() {
        ObjectMetadata meta = new ObjectMetadata(100, "\"e\"", null, "text/html",
                Map.of("content-encoding", "gzip", "cache-control", "no-cache"));
        MultipartByteranges body = new MultipartByteranges(
                List.of(new ByteRange(0, 1), new ByteRange(5, 6)), 100, "text/html");
        HttpHeaders h = ResponseHeaders.multipart(meta, body);
        assertNull(h.get("Content-Encoding"));
        assertEquals("no-cache", h.get("Cache-Control"));
        assertEquals("gzip", ResponseHeaders.whole(meta).get("Content-Encoding"));
        assertEquals("gzip", ResponseHeaders.partial(meta, new ByteRange(0, 9)).get("Content-Encoding"));
    }
}
