package dev.bitsbridge.proxy.server;

import dev.bitsbridge.proxy.error.BridgeError;
import dev.bitsbridge.proxy.error.ErrorResponses;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Slow-loris defences, in front of the HTTP decoder (it sees raw bytes):
 * <ul>
 *   <li>head: once the first byte of a request arrives, its whole head must follow within
 *       {@code --request-header-timeout}, else 408 and close;</li>
 *   <li>body: while the proxy is waiting for request-body bytes, they must come at
 *       {@code bodyMinBytes} per {@code bodyWindow} at least, else 408 and close (issue #15,
 *       finding 8: a body trickled one byte every 4 s held its connection until the idle
 *       timeout). Only time spent waiting on the client counts: while the proxy itself holds the
 *       next read back (an upload part going to S3), the client is not to blame.</li>
 * </ul>
 * {@link ProxyRequestHandler} tells it when a request head was decoded ({@link #requestReceived})
 * and when the response is done ({@link #responseDone}). Idle keep-alive connections are left to
 * the idle timeout.
 *
 * <p>Threading: confined to its channel's event loop. Buffers pass through untouched.
 */
final class SlowRequestHandler extends ChannelDuplexHandler {

    enum State {
        IDLE,
        READING_HEAD,
        /** Head decoded; the body (if any) is read on demand and measured per window. */
        BUSY
    }

    private final long timeoutNanos;
    private final long windowNanos;
    private final long minBytes;
    private State state = State.IDLE;
    /** When the head being read must be complete (the event loop's ticker); meaningful in READING_HEAD. */
    private long headDeadline;
    /**
     * The head timer, left armed between requests: a keep-alive connection's next head re-uses
     * it (it re-arms itself for what is left) instead of scheduling and cancelling a task per
     * request, which showed in a warm cache hit's profile.
     */
    private ScheduledFuture<?> timer;
    private ScheduledFuture<?> bodyTimer;
    private BooleanSupplier headSent = () -> false;
    /** Body accounting for the current window. */
    private long windowBytes;
    private long waitedNanos;
    private long readAskedAt = -1;

    SlowRequestHandler(long timeoutNanos) {
        this(timeoutNanos, 0, 0);
    }

    /** @param windowNanos 0 turns the body rule off */
    SlowRequestHandler(long timeoutNanos, long windowNanos, long minBytes) {
        this.timeoutNanos = timeoutNanos;
        this.windowNanos = windowNanos;
        this.minBytes = minBytes;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (state == State.IDLE) {
            state = State.READING_HEAD;
            headDeadline = ctx.executor().ticker().nanoTime() + timeoutNanos;
            if (timer == null) {
                arm(ctx, timeoutNanos);
            }
        }
        if (readAskedAt >= 0) {
            waitedNanos += System.nanoTime() - readAskedAt;
            readAskedAt = -1;
        }
        if (msg instanceof ByteBuf b) {
            windowBytes += b.readableBytes();
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        if (state == State.BUSY && readAskedAt < 0) {
            readAskedAt = System.nanoTime();
        }
        ctx.read();
    }

    private void arm(ChannelHandlerContext ctx, long delayNanos) {
        timer = ctx.executor().schedule(() -> expire(ctx), delayNanos, TimeUnit.NANOSECONDS);
    }

    /** The head timer fired: a late head times out; one read since (or none under way) re-arms or rests. */
    private void expire(ChannelHandlerContext ctx) {
        timer = null;
        if (state != State.READING_HEAD || !ctx.channel().isActive()) {
            return; // between requests, or busy with one: the next head arms it again
        }
        long left = headDeadline - ctx.executor().ticker().nanoTime();
        if (left > 0) {
            arm(ctx, left); // a later request's head: what is left of its own time
            return;
        }
        timeout(ctx);
    }

    private void timeout(ChannelHandlerContext ctx) {
        state = State.BUSY;
        cancel();
        if (headSent.getAsBoolean()) {
            ctx.close(); // a response is under way: no status to give, only the cut
            return;
        }
        FullHttpResponse r = ErrorResponses.of(ctx.alloc(), BridgeError.REQUEST_TIMEOUT,
                "the request body arrived too slowly");
        r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.channel().writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
    }

    /** One window of the body rule: too few bytes while the proxy was mostly waiting for them. */
    private void bodyTick(ChannelHandlerContext ctx) {
        long waited = waitedNanos + (readAskedAt >= 0 ? System.nanoTime() - readAskedAt : 0);
        if (readAskedAt >= 0) {
            readAskedAt = System.nanoTime();
        }
        boolean slow = windowBytes < minBytes && waited >= windowNanos / 2;
        windowBytes = 0;
        waitedNanos = 0;
        if (slow) {
            timeout(ctx);
        }
    }

    /**
     * A request head was decoded; its body (if any) is measured from now on.
     *
     * @param headSent whether the response head already went out (then a timeout only closes)
     */
    void requestReceived(ChannelHandlerContext ctx, boolean hasBody, BooleanSupplier headSent) {
        state = State.BUSY; // the head timer, if armed, finds this and rests
        cancelBody();
        this.headSent = headSent;
        windowBytes = 0;
        waitedNanos = 0;
        readAskedAt = -1;
        if (hasBody && windowNanos > 0) {
            bodyTimer = ctx.executor().scheduleAtFixedRate(() -> bodyTick(ctx), windowNanos, windowNanos,
                    TimeUnit.NANOSECONDS);
        }
    }

    void requestReceived() {
        state = State.BUSY;
        cancelBody();
    }

    /** The request body has been read whole: nothing more to measure. */
    void bodyDone() {
        cancelBody();
    }

    void responseDone() {
        state = State.IDLE;
        cancelBody();
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        cancelBody();
    }

    private void cancelBody() {
        if (bodyTimer != null) {
            bodyTimer.cancel(false);
            bodyTimer = null;
        }
        readAskedAt = -1;
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
