package dev.bitsbridge.proxy.upstream;

import dev.bitsbridge.proxy.upstream.UpstreamException.Kind;
import io.netty.channel.Channel;
import io.netty.channel.pool.ChannelPool;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One request/response on a pooled upstream connection, with demand-driven reads: the connection
 * has autoRead off, and body bytes are read only when the listener calls {@link #read()}, which it
 * does while the client can take more. That is what keeps memory bounded for slow clients.
 *
 * <p>A timer runs whenever the exchange is waiting on S3 (for the head, or for body bytes after a
 * {@link #read()}) and never while it waits on the client. The body is counted against
 * Content-Length; a connection goes back to the pool only after a complete, keep-alive response,
 * and is closed in every other case.
 *
 * <p>Threading: confined to the connection's event loop, which is the client connection's loop.
 * Buffer ownership: each {@link HttpContent} passed to the listener is the listener's to release.
 */
public final class UpstreamExchange {

    enum State {
        AWAITING_HEAD,
        BODY,
        COMPLETE,
        FAILED
    }

    private final Channel channel;
    private final ChannelPool pool;
    private final long timeoutNanos;
    private final boolean headRequest;
    private UpstreamListener listener;
    private State state = State.AWAITING_HEAD;
    private ScheduledFuture<?> timer;
    private long expectedLength = -1;
    private long received;
    private boolean keepAlive;

    UpstreamExchange(Channel channel, ChannelPool pool, long timeoutNanos, boolean headRequest,
            UpstreamListener listener) {
        this.channel = channel;
        this.pool = pool;
        this.timeoutNanos = timeoutNanos;
        this.headRequest = headRequest;
        this.listener = listener;
    }

    /** Hands the rest of the exchange (its body) to another listener. */
    public void listener(UpstreamListener next) {
        this.listener = next;
    }

    void start(HttpRequest request) {
        channel.attr(UpstreamResponseHandler.EXCHANGE).set(this);
        armTimer();
        channel.writeAndFlush(request).addListener(f -> {
            if (!f.isSuccess()) {
                // Usually a TLS handshake that failed (an untrusted certificate): say why.
                fail(Kind.CLOSED_BEFORE_RESPONSE, "sending the request to S3 failed: " + rootMessage(f.cause()),
                        f.cause());
            }
        });
        channel.read();
    }

    /** Asks for more body bytes; the listener calls this when the client can take them. */
    public void read() {
        if (state == State.BODY) {
            armTimer();
            channel.read();
        }
    }

    /** Gives up on the exchange: the connection is closed (its unread body makes it unusable). */
    public void abort() {
        if (state == State.AWAITING_HEAD || state == State.BODY) {
            state = State.FAILED;
            detach();
            channel.close();
        }
    }

    public boolean isDone() {
        return state == State.COMPLETE || state == State.FAILED;
    }

    void onMessage(Object msg) {
        if (state == State.COMPLETE || state == State.FAILED) {
            ReferenceCountUtil.release(msg);
            return;
        }
        cancelTimer();
        if (msg instanceof HttpResponse head) {
            if (head.decoderResult().isFailure()) {
                ReferenceCountUtil.release(msg);
                fail(Kind.TRUNCATED, "S3 sent a malformed response", head.decoderResult().cause());
                return;
            }
            if (head.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                ReferenceCountUtil.release(msg);
                armTimer();
                channel.read();
                return;
            }
            state = State.BODY;
            keepAlive = HttpUtil.isKeepAlive(head);
            int code = head.status().code();
            // HEAD, 204 and 304 answers have no body whatever their Content-Length says.
            expectedLength = headRequest || code == 204 || code == 304 ? 0 : HttpUtil.getContentLength(head, -1L);
            listener.onHead(this, head);
        }
        if (msg instanceof HttpContent content) {
            if (state != State.BODY) {
                content.release();
                return;
            }
            if (content.decoderResult().isFailure()) {
                content.release();
                fail(Kind.TRUNCATED, "S3's response body was malformed or cut short", content.decoderResult().cause());
                return;
            }
            received += content.content().readableBytes();
            if (expectedLength >= 0 && received > expectedLength) {
                content.release();
                fail(Kind.TRUNCATED, "S3 sent more bytes than its Content-Length", null);
                return;
            }
            if (content instanceof LastHttpContent) {
                if (expectedLength >= 0 && received != expectedLength) {
                    content.release();
                    fail(Kind.TRUNCATED, "S3's response ended after " + received + " of " + expectedLength + " bytes",
                            null);
                    return;
                }
                state = State.COMPLETE;
                detach();
                if (keepAlive) {
                    pool.release(channel);
                } else {
                    channel.close();
                }
            }
            listener.onContent(this, content);
        }
    }

    void onClosed(Throwable cause) {
        switch (state) {
            case AWAITING_HEAD -> fail(Kind.CLOSED_BEFORE_RESPONSE, "S3 closed the connection before answering", cause);
            case BODY -> fail(Kind.TRUNCATED, "S3 closed the connection after " + received + " body bytes", cause);
            default -> {
            }
        }
    }

    static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root != null && root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = root == null ? null : root.getMessage();
        return m == null ? (root == null ? "unknown" : root.getClass().getSimpleName()) : m;
    }

    private void fail(Kind kind, String message, Throwable cause) {
        if (state == State.COMPLETE || state == State.FAILED) {
            return;
        }
        state = State.FAILED;
        detach();
        channel.close();
        listener.onFailure(this, new UpstreamException(kind, message, cause));
    }

    private void detach() {
        cancelTimer();
        channel.attr(UpstreamResponseHandler.EXCHANGE).set(null);
    }

    private void armTimer() {
        cancelTimer();
        timer = channel.eventLoop().schedule(() -> {
            timer = null;
            fail(Kind.TIMEOUT, "S3 did not answer within " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms", null);
        }, timeoutNanos, TimeUnit.NANOSECONDS);
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
