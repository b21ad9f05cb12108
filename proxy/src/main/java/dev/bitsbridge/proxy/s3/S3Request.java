package dev.bitsbridge.proxy.s3;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An S3 request before signing: method, target, encoded query parameters (or, for a presigned
 * URL, its raw query) and the headers that carry meaning (Range, conditionals). Each attempt of a
 * retried request is signed afresh from it.
 */
public record S3Request(String method, S3Target target, Map<String, List<String>> query, String rawQuery,
        HttpHeaders headers) {

    public static S3Request of(String method, S3Target target) {
        return new S3Request(method, target, new LinkedHashMap<>(), null, new DefaultHttpHeaders());
    }

    /**
     * A request to a presigned URL: its query string (which carries the signature) is sent
     * exactly as received, and the request must not be signed again.
     */
    public static S3Request presigned(String method, S3Target target, String rawQuery) {
        return new S3Request(method, target, new LinkedHashMap<>(), rawQuery, new DefaultHttpHeaders());
    }

    public boolean isPresigned() {
        return rawQuery != null;
    }

    public S3Request header(CharSequence name, Object value) {
        headers.set(name, value);
        return this;
    }

    /** The request-target as sent: encoded path plus encoded query. */
    public String uri() {
        String path = target.encodedPath().isEmpty() ? "/" : target.encodedPath();
        if (rawQuery != null) {
            return rawQuery.isEmpty() ? path : path + "?" + rawQuery;
        }
        if (query.isEmpty()) {
            return path;
        }
        StringBuilder sb = new StringBuilder(path).append('?');
        boolean first = true;
        for (Map.Entry<String, List<String>> e : query.entrySet()) {
            for (String v : e.getValue()) {
                if (!first) {
                    sb.append('&');
                }
                first = false;
                sb.append(e.getKey());
                if (v != null && !v.isEmpty()) {
                    sb.append('=').append(v);
                }
            }
        }
        return sb.toString();
    }
}
