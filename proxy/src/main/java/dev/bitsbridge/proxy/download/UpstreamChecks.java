package dev.bitsbridge.proxy.download;

import dev.bitsbridge.proxy.http.ContentRange;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;

/**
 * Consistency checks on an upstream answer before any of it is relayed: the proxy never trusts
 * the upstream to be S3. Pure decisions on headers; thread-safe.
 */
final class UpstreamChecks {

    private UpstreamChecks() {
    }

    /**
     * What is wrong with a 206's framing, or null if it holds together: Content-Range must parse,
     * lie inside the total it states, and agree with Content-Length when both are present.
     *
     * @param got the parsed Content-Range, null if it did not parse
     */
    static String partialProblem(HttpResponse head, ContentRange got) {
        String cr = head.headers().get(HttpHeaderNames.CONTENT_RANGE);
        if (got == null || got.range() == null) {
            return "S3 answered 206 with an unusable Content-Range (" + (cr == null ? "none" : cr) + ")";
        }
        if (got.total() >= 0 && got.range().last() >= got.total()) {
            return "S3 answered 206 with a Content-Range past the object's end (" + cr + ")";
        }
        String cl = head.headers().get(HttpHeaderNames.CONTENT_LENGTH);
        if (cl != null) {
            long length;
            try {
                length = Long.parseLong(cl.trim());
            } catch (NumberFormatException e) {
                return "S3 answered 206 with an unusable Content-Length (" + cl + ")";
            }
            if (length != got.range().length()) {
                return "S3 answered 206 with Content-Range " + cr + " but Content-Length " + cl;
            }
        }
        return null;
    }
}
