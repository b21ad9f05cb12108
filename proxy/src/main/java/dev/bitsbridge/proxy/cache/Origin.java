package dev.bitsbridge.proxy.cache;

import dev.bitsbridge.proxy.s3.S3Caller;
import dev.bitsbridge.proxy.s3.S3Request;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;

/**
 * Where the cache asks for an object's bytes: the GET request an object source made (signed,
 * presigned or vended; sent by {@code caller}), and the event loop the asking client is on. Each
 * request the cache sends is a copy of the template with its own Range and conditionals.
 * Immutable.
 */
public record Origin(S3Caller caller, S3Request template, EventLoop loop) {

    S3Request request(String range, String ifMatch, String ifNoneMatch) {
        S3Request r = new S3Request(template.method(), template.target(), template.query(), template.rawQuery(),
                new DefaultHttpHeaders().set(template.headers()));
        r.headers().remove(HttpHeaderNames.IF_MATCH);
        r.headers().remove(HttpHeaderNames.IF_NONE_MATCH);
        if (range != null) {
            r.header(HttpHeaderNames.RANGE, range);
        }
        if (ifMatch != null) {
            r.header(HttpHeaderNames.IF_MATCH, ifMatch);
        }
        if (ifNoneMatch != null) {
            r.header(HttpHeaderNames.IF_NONE_MATCH, ifNoneMatch);
        }
        return r;
    }

    /** The cache's name for the object: upstream endpoint and encoded path, no query string. */
    public String objectName() {
        var ep = template.target().endpoint();
        return ep.scheme() + "://" + ep.host().toLowerCase(java.util.Locale.ROOT) + ":" + ep.port() + template.target().encodedPath();
    }
}
