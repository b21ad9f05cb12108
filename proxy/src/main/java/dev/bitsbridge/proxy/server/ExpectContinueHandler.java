package dev.bitsbridge.proxy.server;

import dev.bitsbridge.proxy.error.ErrorResponses;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;

/**
 * {@code Expect: 100-continue} (RFC 9110 §10.1.1): the client waits for a 100 or a final status
 * before sending the body (curl waits 1 s per request otherwise, on every BITS_POST fragment over
 * 1 MiB). The 100 is sent lazily, when the handler behind asks to read the body, so an answer the
 * proxy gives from the head alone (401, 403, 404, 413, 501) goes out instead of the 100, and the
 * body is never sent for nothing. Such an answer closes the connection ({@code Connection: close}):
 * the client may or may not send the body it held back, so the next request's start is unknown.
 * Any other expectation gets 417 and the connection is closed. HTTP/1.0 requests' Expect is
 * ignored, as the RFC requires.
 *
 * <p>Threading: one instance per connection, confined to its event loop. Holds no buffers.
 */
final class ExpectContinueHandler extends ChannelDuplexHandler {

    enum State {
        IDLE,
        /** A head with 100-continue went on; neither a 100 nor a final status has been sent. */
        AWAITING_DECISION,
        /** A final status went out without a 100: close once it is written. */
        CLOSE_AFTER_RESPONSE,
        REFUSED
    }

    private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private State state = State.IDLE;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (state == State.REFUSED) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpRequest req) {
            state = State.IDLE;
            String expect = req.headers().get(HttpHeaderNames.EXPECT);
            if (expect != null && !req.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
                if (!expect.trim().equalsIgnoreCase(HttpHeaderValues.CONTINUE.toString())) {
                    ReferenceCountUtil.release(msg);
                    refuse(ctx, expect);
                    return;
                }
                req.headers().remove(HttpHeaderNames.EXPECT);
                if (!(msg instanceof LastHttpContent)) {
                    state = State.AWAITING_DECISION;
                }
            }
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        if (state == State.AWAITING_DECISION) {
            // The handler behind wants the body: now is the time to ask for it.
            state = State.IDLE;
            // Raw bytes written below the encoder: an interim response is not the request's
            // answer, and the access log and transfer tracker above would take its end for the
            // end of the response.
            ChannelHandlerContext below = ctx.pipeline().context(HttpResponseEncoder.class);
            (below == null ? ctx : below).writeAndFlush(Unpooled.wrappedBuffer(CONTINUE))
                    .addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
        }
        ctx.read();
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse r && state == State.AWAITING_DECISION && r.status().code() >= 200) {
            state = State.CLOSE_AFTER_RESPONSE;
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        if (msg instanceof LastHttpContent && state == State.CLOSE_AFTER_RESPONSE) {
            state = State.REFUSED;
            ctx.write(msg, promise).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.write(msg, promise);
    }

    private void refuse(ChannelHandlerContext ctx, String expect) {
        state = State.REFUSED;
        FullHttpResponse r = ErrorResponses.of(ctx.alloc(), HttpResponseStatus.EXPECTATION_FAILED,
                "only Expect: 100-continue is supported", null);
        r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
    }
}
