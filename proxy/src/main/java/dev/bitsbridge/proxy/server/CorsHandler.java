package dev.bitsbridge.proxy.server;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;

/**
 * Adds CORS headers to responses for origins listed with {@code --cors-origin}, so a web page on
 * such an origin can read objects (and the headers a download needs: Content-Range, ETag...).
 * Origins not listed never get here: {@link RequestGuardHandler} refuses them.
 *
 * <p>One instance per connection, confined to its event loop.
 */
final class CorsHandler extends ChannelDuplexHandler {

    static final String EXPOSE = "Content-Range, Content-Length, Content-Type, ETag, Last-Modified, Accept-Ranges";

    private final HostPolicy policy;
    private String origin;
    private boolean preflight;

    CorsHandler(HostPolicy policy) {
        this.policy = policy;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest req) {
            String o = req.headers().get(HttpHeaderNames.ORIGIN);
            origin = policy.corsListed(o) ? o : null;
            preflight = req.method().equals(HttpMethod.OPTIONS)
                    && req.headers().contains(HttpHeaderNames.ACCESS_CONTROL_REQUEST_METHOD);
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse r && origin != null) {
            HttpHeaders h = r.headers();
            h.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            h.add(HttpHeaderNames.VARY, HttpHeaderNames.ORIGIN);
            h.set(HttpHeaderNames.ACCESS_CONTROL_EXPOSE_HEADERS, EXPOSE);
            if (preflight) {
                h.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, "GET, HEAD");
                h.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS,
                        "Range, If-Range, If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since, Authorization");
                h.set(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE, "600");
            }
        }
        ctx.write(msg, promise);
    }
}
