package dev.bitsbridge.proxy.server;

import dev.bitsbridge.proxy.error.BridgeError;
import dev.bitsbridge.proxy.error.ErrorResponses;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.FullHttpResponse;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Slow-loris defence: once the first byte of a request arrives, its whole head must follow within
 * {@code --request-header-timeout}, or the client gets 408 and the connection is closed. Sits in
 * front of the HTTP decoder, so it sees raw bytes; {@link ProxyRequestHandler} tells it when a
 * request head was decoded ({@link #requestReceived}) and when the response is done
 * ({@link #responseDone}). Idle keep-alive connections are left to the idle timeout.
 *
 * <p>Threading: confined to its channel's event loop.
 */
final class SlowRequestHandler extends ChannelDuplexHandler {

    enum State {
        IDLE,
        READING_HEAD,
        BUSY
    }

    private final long timeoutNanos;
    private State state = State.IDLE;
    private ScheduledFuture<?> timer;

    SlowRequestHandler(long timeoutNanos) {
        this.timeoutNanos = timeoutNanos;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (state == State.IDLE) {
            state = State.READING_HEAD;
            timer = ctx.executor().schedule(() -> expire(ctx), timeoutNanos, TimeUnit.NANOSECONDS);
        }
        ctx.fireChannelRead(msg);
    }

    private void expire(ChannelHandlerContext ctx) {
        if (state != State.READING_HEAD) {
            return;
        }
        state = State.BUSY;
        FullHttpResponse r = ErrorResponses.of(ctx.alloc(), BridgeError.REQUEST_TIMEOUT, null);
        r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.channel().writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
    }

    void requestReceived() {
        state = State.BUSY;
        cancel();
    }

    void responseDone() {
        state = State.IDLE;
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }
}
