package dev.bitsbridge.proxy.http;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;

/**
 * Builds the headers the proxy sends for an object, the same for HEAD and GET (BITS compares
 * them). Every success carries Content-Length (no chunking: BITS needs the size), Accept-Ranges,
 * Last-Modified and ETag, and the stored headers a direct download from S3 would carry
 * ({@link StoredHeaders}: Content-Disposition, Content-Encoding, Content-Language, Cache-Control,
 * Expires, x-amz-meta-*). Content-Encoding goes with the stored bytes and their stored length,
 * exactly as S3 sends them; the proxy never compresses anything itself.
 */
public final class ResponseHeaders {

    private ResponseHeaders() {
    }

    /** Headers for a 200 with the whole object, or for the HEAD of it. */
    public static HttpHeaders whole(ObjectMetadata meta) {
        HttpHeaders h = validators(meta);
        stored(meta, h, true);
        h.set(HttpHeaderNames.CONTENT_LENGTH, meta.size());
        h.set(HttpHeaderNames.CONTENT_TYPE, contentType(meta));
        return h;
    }

    /** Headers for a single-range 206. */
    public static HttpHeaders partial(ObjectMetadata meta, ByteRange range) {
        HttpHeaders h = validators(meta);
        stored(meta, h, true);
        h.set(HttpHeaderNames.CONTENT_LENGTH, range.length());
        h.set(HttpHeaderNames.CONTENT_TYPE, contentType(meta));
        h.set(HttpHeaderNames.CONTENT_RANGE, range.contentRange(meta.size()));
        return h;
    }

    /** Headers for a multi-range 206. */
    public static HttpHeaders multipart(ObjectMetadata meta, MultipartByteranges body) {
        HttpHeaders h = validators(meta);
        // Content-Encoding and Content-Language describe the object, not the multipart body that
        // carries pieces of it: on the outer message they would tell a client to decode the
        // multipart framing itself.
        stored(meta, h, false);
        h.set(HttpHeaderNames.CONTENT_LENGTH, body.contentLength());
        h.set(HttpHeaderNames.CONTENT_TYPE, body.contentType());
        return h;
    }

    /** Headers for a 416: the size, so the client can correct its request. */
    public static HttpHeaders unsatisfiable(long size) {
        HttpHeaders h = new DefaultHttpHeaders();
        h.set(HttpHeaderNames.CONTENT_RANGE, "bytes */" + size);
        h.set(HttpHeaderNames.ACCEPT_RANGES, HttpHeaderValues.BYTES);
        return h;
    }

    /**
     * Headers for a 304 (RFC 9110 §15.4.5: the validators and the Cache-Control and Expires a 200
     * would carry, no Content-Length, no other representation metadata).
     */
    public static HttpHeaders notModified(ObjectMetadata meta) {
        HttpHeaders h = conditional(meta);
        StoredHeaders.forNotModified(meta.stored(), h);
        return h;
    }

    /** Headers for a 412 (and the validators of a 304): validators only. */
    public static HttpHeaders conditional(ObjectMetadata meta) {
        HttpHeaders h = new DefaultHttpHeaders();
        if (meta.etag() != null) {
            h.set(HttpHeaderNames.ETAG, meta.etag());
        }
        if (meta.lastModified() != null) {
            h.set(HttpHeaderNames.LAST_MODIFIED, HttpDates.format(meta.lastModified()));
        }
        return h;
    }

    private static HttpHeaders validators(ObjectMetadata meta) {
        HttpHeaders h = conditional(meta);
        h.set(HttpHeaderNames.ACCEPT_RANGES, HttpHeaderValues.BYTES);
        return h;
    }

    private static void stored(ObjectMetadata meta, HttpHeaders h, boolean representation) {
        for (var e : meta.stored().entrySet()) {
            if (representation || !(e.getKey().equals("content-encoding") || e.getKey().equals("content-language"))) {
                h.set(e.getKey(), e.getValue());
            }
        }
    }

    private static String contentType(ObjectMetadata meta) {
        return meta.contentType() == null ? "application/octet-stream" : meta.contentType();
    }
}
