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
 * preconditions, and the conditional headers the proxy itself puts on its upstream requests.
 *
 * <p>The client's conditionals are never forwarded: the proxy decides them alone, in RFC 9110
 * §13.2.2 order, on the validators of the answer. Upstreams disagree with the RFC and with each
 * other (s3rver answers {@code If-Match: "x"} with {@code If-None-Match: <etag>} 304 instead of
 * 412, and its 304 carries no ETag; s3proxy fails an {@code If-Match} list that contains the ETag,
 * compares dates at millisecond precision and so answers 412 to a BITS job whose
 * {@code If-Unmodified-Since} is exactly the Last-Modified it was given). The only conditional
 * sent upstream is the proxy's own {@code If-Match} pin on an ETag it already knows
 * ({@link #pinned}), so that the pieces of one answer come from one version.
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
        return new DownloadRequest(head, range, pre, new DefaultHttpHeaders());
    }

    /** Whether the proxy pinned this request to a known version (its own If-Match). */
    boolean isPinned() {
        return forwardedConditionals.contains(HttpHeaderNames.IF_MATCH);
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
