package dev.bitsbridge.proxy.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.List;

/**
 * Netty's request decoder, with two changes:
 * <ul>
 *   <li>a request with both Content-Length and {@code Transfer-Encoding: chunked} keeps both
 *       headers instead of silently dropping Content-Length, so {@link RequestGuardHandler} can
 *       refuse it: two framings are how request smuggling between proxies starts (RFC 9112 §6.3);</li>
 *   <li>a request without a body (every GET and HEAD) goes up the pipeline as one
 *       {@link FullHttpRequest} instead of its head followed by an empty last content: one pass
 *       through the handlers and one {@code read()} per request instead of two, and no body-rate
 *       timer armed for a body that cannot come. A request with a body is unchanged (head, then
 *       its contents as they arrive).</li>
 * </ul>
 *
 * <p>Threading: one instance per connection, confined to its event loop. The merged request's
 * content is the shared empty buffer (nothing to release).
 */
final class StrictRequestDecoder extends HttpRequestDecoder {

    StrictRequestDecoder(int maxInitialLineLength, int maxHeaderSize) {
        super(new HttpDecoderConfig()
                .setMaxInitialLineLength(maxInitialLineLength)
                .setMaxHeaderSize(maxHeaderSize)
                .setMaxChunkSize(64 * 1024));
    }

    @Override
    protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
        // Keep both; the guard answers 400 and closes.
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
        int from = out.size();
        super.decode(ctx, buffer, out);
        for (int i = from; i + 1 < out.size(); i++) {
            if (out.get(i + 1) == LastHttpContent.EMPTY_LAST_CONTENT && out.get(i) instanceof HttpRequest req
                    && !(req instanceof HttpContent) && req.decoderResult().isSuccess()) {
                out.set(i, whole(req));
                out.remove(i + 1);
            }
        }
    }

    /** The head of a request that has no body, as one message. */
    static FullHttpRequest whole(HttpRequest head) {
        FullHttpRequest r = new DefaultFullHttpRequest(head.protocolVersion(), head.method(), head.uri(),
                Unpooled.EMPTY_BUFFER, head.headers(), LastHttpContent.EMPTY_LAST_CONTENT.trailingHeaders());
        r.setDecoderResult(head.decoderResult());
        return r;
    }
}
