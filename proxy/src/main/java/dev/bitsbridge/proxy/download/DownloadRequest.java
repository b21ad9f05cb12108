package dev.bitsbridge.proxy.download;

import dev.bitsbridge.proxy.http.Preconditions;
import dev.bitsbridge.proxy.http.RangeHeader;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;

/**
 * What a GET or HEAD asks for, in plain terms: whether a body is wanted, the ranges, the
 * preconditions, and the conditional headers to forward to S3 (so S3 can refuse early and spare
 * the transfer; the proxy still checks the answer itself).
 *
 * <p>Only the entity-tag conditionals are forwarded. Date conditionals are evaluated by the proxy
 * alone, on the Last-Modified of the answer, at HTTP's one-second granularity: some S3-compatible
 * servers (s3proxy among them) compare them at millisecond precision and answer 412 to a BITS job
 * whose {@code If-Unmodified-Since} is exactly the Last-Modified it was given.
 */
public record DownloadRequest(boolean head, RangeHeader range, Preconditions preconditions,
        HttpHeaders forwardedConditionals) {

    static final String UNLESS_MODIFIED_SINCE = "Unless-Modified-Since";

    public static DownloadRequest from(HttpRequest request, int maxRanges) {
        HttpHeaders h = request.headers();
        boolean head = request.method().equals(HttpMethod.HEAD);
        // RFC 9110 §14.2: Range is defined for GET only; HEAD answers as an unranged GET would.
        RangeHeader range = head ? RangeHeader.NONE : RangeHeader.parse(h.get(HttpHeaderNames.RANGE), maxRanges);
        Preconditions pre = Preconditions.of(
                h.get(HttpHeaderNames.IF_MATCH),
                h.get(HttpHeaderNames.IF_NONE_MATCH),
                h.get(HttpHeaderNames.IF_MODIFIED_SINCE),
                h.get(HttpHeaderNames.IF_UNMODIFIED_SINCE),
                h.get(UNLESS_MODIFIED_SINCE),
                range.isPresent() ? h.get(HttpHeaderNames.IF_RANGE) : null);
        HttpHeaders fwd = new DefaultHttpHeaders();
        copyIfPresent(h, fwd, HttpHeaderNames.IF_MATCH);
        copyIfPresent(h, fwd, HttpHeaderNames.IF_NONE_MATCH);
        return new DownloadRequest(head, range, pre, fwd);
    }

    private static void copyIfPresent(HttpHeaders from, HttpHeaders to, CharSequence name) {
        String v = from.get(name);
        if (v != null) {
            to.set(name, v);
        }
    }

    /** The same request for the whole object (If-Range did not hold). */
    DownloadRequest withoutRange() {
        return new DownloadRequest(head, RangeHeader.NONE, preconditions, forwardedConditionals);
    }

    /**
     * The same request narrowed to one range of a known version: {@code If-Match} pins the ETag
     * so a replaced object answers 412 rather than bytes of another version.
     */
    DownloadRequest pinned(RangeHeader single, String etag) {
        HttpHeaders fwd = new DefaultHttpHeaders().set(forwardedConditionals);
        if (etag != null) {
            fwd.set(HttpHeaderNames.IF_MATCH, etag);
        }
        return new DownloadRequest(head, single, preconditions, fwd);
    }
}
