package dev.bitsbridge.proxy.server;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;

/**
 * Makes every response inert in a browser: {@code X-Content-Type-Options: nosniff} and
 * {@code Content-Security-Policy: sandbox}. Objects and links are served from the proxy's own
 * origin, the one that passes its Origin check; an HTML, SVG or XML object (or a link whose
 * upstream says {@code text/html}) would otherwise run its script in that origin and could drive
 * the proxy's endpoints from there (issue #15, finding 6). Under {@code sandbox} the document gets
 * an opaque origin and no script runs; downloads (BITS, curl, a browser's save) are unaffected.
 * A response that already carries its own policy (the status page) keeps it.
 *
 * <p>Stateless and shared; touches only response heads, never bodies or their buffers.
 */
@Sharable
final class SecurityHeadersHandler extends ChannelOutboundHandlerAdapter {

    static final String NOSNIFF = "nosniff";
    static final String SANDBOX = "sandbox";

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse r) {
            HttpHeaders h = r.headers();
            h.set("X-Content-Type-Options", NOSNIFF);
            if (!h.contains("Content-Security-Policy")) {
                h.set("Content-Security-Policy", SANDBOX);
            }
        }
        ctx.write(msg, promise);
    }
}
