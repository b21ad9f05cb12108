package dev.bitsbridge.proxy.s3;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An S3 request before signing: method, target, encoded query parameters and the headers that
 * carry meaning (Range, conditionals). Each attempt of a retried request is signed afresh from it.
 */
public record S3Request(String method, S3Target target, Map<String, List<String>> query, HttpHeaders headers) {

    public static S3Request of(String method, S3Target target) {
        return new S3Request(method, target, new LinkedHashMap<>(), new DefaultHttpHeaders());
    }

    public S3Request header(CharSequence name, Object value) {
        headers.set(name, value);
        return this;
    }

    /** The request-target as sent: encoded path plus encoded query. */
    public String uri() {
        String path = target.encodedPath().isEmpty() ? "/" : target.encodedPath();
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
