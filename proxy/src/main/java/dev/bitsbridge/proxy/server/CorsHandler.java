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
 * <p>Never for the proxy's own endpoints ({@code /_bitsbridge/...}): a page on a listed origin (or
 * on any origin with {@code --cors-origin '*'}) must not be able to read links, mint share links or
 * see the status data through the user's browser (issue #15, finding 5). CORS is for reading
 * objects only.
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
            String path = req.uri();
            boolean own = path.startsWith("/_bitsbridge") || path.startsWith("http");
            origin = !own && policy.corsListed(o) ? o : null;
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
