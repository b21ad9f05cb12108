package dev.bitsbridge.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.handler.codec.http.HttpHeaders;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The header sets the proxy sends for each kind of object response. */
class ResponseHeadersTest {

    private static final Instant LM = Instant.parse("2024-05-01T10:00:00Z");
    private static final ObjectMetadata META = new ObjectMetadata(1000, "\"e1\"", LM, "application/zip");

    @Test
    void wholeObject() {
        HttpHeaders h = ResponseHeaders.whole(META);
        assertEquals("1000", h.get("Content-Length"));
        assertEquals("application/zip", h.get("Content-Type"));
        assertEquals("bytes", h.get("Accept-Ranges"));
        assertEquals("\"e1\"", h.get("ETag"));
        assertEquals("Wed, 01 May 2024 10:00:00 GMT", h.get("Last-Modified"));
        assertNull(h.get("Content-Range"));
        assertNull(h.get("Transfer-Encoding"));
        assertNull(h.get("Content-Encoding"));
    }

    @Test
    void singleRange() {
        HttpHeaders h = ResponseHeaders.partial(META, new ByteRange(100, 199));
        assertEquals("100", h.get("Content-Length"));
        assertEquals("bytes 100-199/1000", h.get("Content-Range"));
        assertEquals("application/zip", h.get("Content-Type"));
        assertEquals("\"e1\"", h.get("ETag"));
        assertEquals("bytes", h.get("Accept-Ranges"));
    }

    @Test
    void multipart() {
        MultipartByteranges body = new MultipartByteranges(
                List.of(new ByteRange(0, 9), new ByteRange(20, 29)), 1000, "application/zip", "XYZ");
        HttpHeaders h = ResponseHeaders.multipart(META, body);
        assertEquals(Long.toString(body.contentLength()), h.get("Content-Length"));
        assertEquals("multipart/byteranges; boundary=XYZ", h.get("Content-Type"));
        assertNull(h.get("Content-Range"));
        assertEquals("Wed, 01 May 2024 10:00:00 GMT", h.get("Last-Modified"));
    }

    @Test
    void unsatisfiable() {
        HttpHeaders h = ResponseHeaders.unsatisfiable(1000);
        assertEquals("bytes */1000", h.get("Content-Range"));
        assertEquals("bytes", h.get("Accept-Ranges"));
    }

    @Test
    void conditionalCarriesValidatorsOnly() {
        HttpHeaders h = ResponseHeaders.conditional(META);
        assertEquals("\"e1\"", h.get("ETag"));
        assertEquals("Wed, 01 May 2024 10:00:00 GMT", h.get("Last-Modified"));
        assertFalse(h.contains("Content-Length"));
        assertFalse(h.contains("Content-Type"));
        assertEquals(2, h.size());
    }

    @Test
    void missingMetadataIsOmittedOrDefaulted() {
        ObjectMetadata bare = new ObjectMetadata(0, null, null, null);
        HttpHeaders h = ResponseHeaders.whole(bare);
        assertEquals("0", h.get("Content-Length"));
        assertEquals("application/octet-stream", h.get("Content-Type"));
        assertFalse(h.contains("ETag"));
        assertFalse(h.contains("Last-Modified"));
        assertEquals(0, ResponseHeaders.conditional(bare).size());
    }
}
