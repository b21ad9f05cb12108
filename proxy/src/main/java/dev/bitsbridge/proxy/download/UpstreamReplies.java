package dev.bitsbridge.proxy.download;

import dev.bitsbridge.proxy.endpoint.ClientResponse;

import dev.bitsbridge.proxy.error.BridgeError;
import dev.bitsbridge.proxy.http.ContentRange;
import dev.bitsbridge.proxy.http.EntityTags;
import dev.bitsbridge.proxy.http.HttpDates;
import dev.bitsbridge.proxy.http.ObjectMetadata;
import dev.bitsbridge.proxy.http.ResponseHeaders;
import dev.bitsbridge.proxy.http.StoredHeaders;
import dev.bitsbridge.proxy.s3.S3Errors;
import dev.bitsbridge.proxy.upstream.UpstreamExchange;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns S3 answers that are not a body to stream into the client's answer: metadata from a 200 or
 * 206 head, 304 and 412 with validators, and S3 errors (read from S3's XML body) mapped through
 * {@link S3Errors}. Shared by the single-range and the multi-range paths.
 */
final class UpstreamReplies {

    private static final Pattern ACTUAL_SIZE = Pattern.compile("<ActualObjectSize>(\\d{1,19})</ActualObjectSize>");
    static final String RETRY_AFTER_SECONDS = "5";

    private UpstreamReplies() {
    }

    /** Metadata from a 200 or 206 (or a HEAD's 200); size -1 if S3 did not say. */
    static ObjectMetadata metadata(HttpResponse head) {
        HttpHeaders h = head.headers();
        long size;
        if (head.status().code() == 206) {
            ContentRange cr = ContentRange.parse(h.get(HttpHeaderNames.CONTENT_RANGE));
            size = cr == null ? -1 : cr.total();
        } else {
            size = HttpUtil.getContentLength(head, -1L);
        }
        return new ObjectMetadata(size, EntityTags.quoted(h.get(HttpHeaderNames.ETAG)),
                lastModified(h), h.get(HttpHeaderNames.CONTENT_TYPE), StoredHeaders.from(h));
    }

    private static Instant lastModified(HttpHeaders h) {
        return HttpDates.parse(h.get(HttpHeaderNames.LAST_MODIFIED));
    }

    /**
     * 304 or 412, decided by the proxy on the object's validators. A 304 has no body and no
     * Content-Length (RFC 9110 §8.6: a 304 may only repeat the 200's, and 0 is not it; the
     * connection stays usable because a 304 never has content); a 412 has a one-line body.
     */
    static void conditional(ClientResponse out, HttpResponseStatus status, ObjectMetadata meta) {
        DefaultFullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status);
        if (status.code() == 304) {
            r.headers().set(ResponseHeaders.notModified(meta));
            out.full(r);
            return;
        }
        r.headers().set(ResponseHeaders.conditional(meta));
        if (status.code() == 412) {
            byte[] msg = "412 Precondition Failed: the object has changed\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            r.content().writeBytes(msg);
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        }
        r.headers().set(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
        out.full(r);
    }

    static void unsatisfiable(ClientResponse out, long size) {
        DefaultFullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE);
        r.headers().set(ResponseHeaders.unsatisfiable(size));
        r.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0);
        out.full(r);
    }

    /** The object size a 416 reports: its Content-Range, or S3's ActualObjectSize; -1 if neither. */
    static long unsatisfiedSize(HttpResponse head, String body) {
        ContentRange cr = ContentRange.parse(head.headers().get(HttpHeaderNames.CONTENT_RANGE));
        if (cr != null) {
            return cr.total();
        }
        Matcher m = ACTUAL_SIZE.matcher(body == null ? "" : body);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /**
     * Any other status: read S3's error body, map it, answer.
     *
     * @param object the object asked for ({@code s3://bucket/key}) where known, else null
     */
    static void error(ClientResponse out, UpstreamExchange exchange, HttpResponse head, String object) {
        ErrorBodyReader.read(exchange, body -> errorFromBody(out, head, body, object));
    }

    /** Answers an S3 error whose body has been read. */
    static void errorFromBody(ClientResponse out, HttpResponse head, String body, String object) {
        int status = head.status().code();
        S3Errors.S3Error e = S3Errors.parse(status, body);
        BridgeError mapped = S3Errors.map(e);
        String detail = S3Errors.describe(e);
        String region = S3Errors.region(body, head.headers().get("x-amz-bucket-region"));
        if ((status == 301 || "AuthorizationHeaderMalformed".equals(e.code()) || "PermanentRedirect".equals(e.code()))
                && region != null) {
            detail = "the bucket is in region " + region + "; start bitsbridge with --region " + region;
        } else if (mapped == BridgeError.NO_SUCH_KEY && object != null) {
            // Which object: with --prefix the key S3 was asked for is not the client's path.
            detail = "no such object: " + object + (detail == null ? "" : " (" + detail + ")");
        }
        HttpHeaders extra = null;
        if (mapped == BridgeError.UPSTREAM_UNAVAILABLE) {
            extra = new DefaultHttpHeaders().set(HttpHeaderNames.RETRY_AFTER, RETRY_AFTER_SECONDS);
        }
        out.error(mapped, detail, extra);
    }

    /** Whether an S3 403 body says the presigned URL has expired. */
    static boolean expired(String body) {
        return body != null && body.contains("Request has expired");
    }

    static void failed(ClientResponse out, BridgeError error, String detail) {
        HttpHeaders extra = null;
        if (error.status().code() == 503) {
            extra = new DefaultHttpHeaders().set(HttpHeaderNames.RETRY_AFTER, RETRY_AFTER_SECONDS);
        }
        out.error(error, detail, extra);
    }
}
