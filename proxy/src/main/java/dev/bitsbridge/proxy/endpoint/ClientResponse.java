package dev.bitsbridge.proxy.endpoint;

import dev.bitsbridge.proxy.error.BridgeError;
import dev.bitsbridge.proxy.error.ErrorResponses;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.FileRegion;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;
import java.util.function.IntSupplier;

/**
 * The response to one client request, and the single place that enforces the error rule: an
 * error before the head was sent becomes a status and a short message; an error after it closes
 * the connection at once, so a short body can never end cleanly.
 *
 * <p>It is also where a request's life ends, exactly once: {@link Completion#responseDone} is
 * called once per response, whether it was written whole, cut short, or the client left first
 * ({@link #connectionClosed}). An answer computed asynchronously that arrives after that is
 * dropped (its buffers released) and counts nothing twice: in-flight accounting and the graceful
 * drain rely on this.
 *
 * <p>Threading: confined to the client channel's event loop; work finished elsewhere comes back
 * to it through {@link #onLoop}. Buffer ownership: buffers passed to {@link #body} and
 * {@link #full} are written (and so released) by Netty, or released here when dropped.
 */
public final class ClientResponse {

    enum State {
        PENDING,
        HEAD_SENT,
        DONE
    }

    /** Told when the response has been fully written, or the connection given up. */
    public interface Completion {
        /** @param reusable the connection may take the next request */
        void responseDone(boolean reusable);
    }

    /**
     * Told which bytes of an object a response delivered (one-time share links count them). Called
     * on the event loop once per response with a body, when it ends: written whole, or cut short
     * (then with what the client's machine was seen to receive, see {@link DeliveryMeter}).
     */
    public interface DeliveryListener {
        /**
         * @param first offset in the object of the first byte sent
         * @param length bytes delivered from {@code first}
         * @param written bytes written to the socket from {@code first} (at least {@code length})
         * @param size the object's size
         * @param complete the response was written whole
         */
        void delivered(long first, long length, long written, long size, boolean complete);
    }

    /**
     * S3's {@code x-amz-request-id} of the last upstream response for the current request, kept on
     * the client channel for the access log (what AWS support asks for). Reset per request.
     */
    public static final AttributeKey<String> UPSTREAM_REQUEST_ID = AttributeKey.valueOf("bitsbridge.upstreamRequestId");

    /**
     * Why the current request failed, as the one line its error response says (never a secret:
     * these are the proxy's own messages and S3's error message). The access log writes it with
     * the request. Reset per request.
     */
    public static final AttributeKey<String> FAILURE = AttributeKey.valueOf("bitsbridge.failure");

    /**
     * How many upstream connections the current download uses right now (1 for a single request;
     * parts receiving for a parallel or read-ahead transfer), for the status page. Reset per request.
     */
    public static final AttributeKey<IntSupplier> UPSTREAM_PARALLELISM = AttributeKey.valueOf("bitsbridge.parallelism");

    /**
     * Where the current response's body came from when it is served through the disk cache
     * (read from any thread, for the status page); unset otherwise. Reset per request.
     */
    public static final AttributeKey<CacheShare> CACHE_SHARE = AttributeKey.valueOf("bitsbridge.cacheShare");

    private final ChannelHandlerContext ctx;
    private final boolean keepAlive;
    private final boolean headRequest;
    private final Completion completion;
    private State state = State.PENDING;
    private dev.bitsbridge.proxy.http.PublicBase publicBase;
    private String host;
    private boolean completed;
    private Runnable onWritable;
    private DeliveryListener delivery;
    private long deliveryFirst = -1;
    private long deliverySize;
    private DeliveryMeter meter;
    private java.util.concurrent.ScheduledFuture<?> sampler;
    /** How often a tracked response asks the kernel what it still holds (besides each write). */
    private static final long SAMPLE_MILLIS = 20;

    public ClientResponse(ChannelHandlerContext ctx, boolean keepAlive, boolean headRequest, Completion completion) {
        this.ctx = ctx;
        this.keepAlive = keepAlive;
        this.headRequest = headRequest;
        this.completion = completion;
    }

    public ChannelHandlerContext ctx() {
        return ctx;
    }

    /** The base of URLs handed out in answer to this request ({@code http://host[:port]}). */
    public String publicBase() {
        return publicBase == null ? "http://127.0.0.1" : publicBase.of(host);
    }

    /**
     * Set by the server: the rule for URLs handed out and the request's Host. Kept, not applied:
     * only the few requests that hand out a URL pay for building one.
     */
    public void publicBase(dev.bitsbridge.proxy.http.PublicBase rule, String hostHeader) {
        this.publicBase = rule;
        this.host = hostHeader;
    }

    public boolean headRequest() {
        return headRequest;
    }

    public boolean headSent() {
        return state != State.PENDING;
    }

    public boolean isDone() {
        return state == State.DONE;
    }

    /** Asks to be told which object bytes this response delivers (see {@link #delivering}). */
    public void trackDelivery(DeliveryListener listener) {
        delivery = listener;
    }

    /** The body about to be sent is the object's bytes from {@code first}, of {@code size} in all. */
    public void delivering(long first, long size) {
        if (delivery != null && !headRequest && !completed) {
            deliveryFirst = first;
            deliverySize = size;
            meter = new DeliveryMeter();
            if (SocketQueue.measurable(ctx.channel())) {
                // Between writes too: a client that stops reading and leaves is seen at its last
                // acknowledgement, not at the last write the kernel took.
                sampler = ctx.executor().scheduleAtFixedRate(this::sample, SAMPLE_MILLIS, SAMPLE_MILLIS,
                        java.util.concurrent.TimeUnit.MILLISECONDS);
            }
        }
    }

    private void sample() {
        if (meter != null) {
            meter.sample(SocketQueue.held(ctx.channel()));
        }
        if ((completed || !ctx.channel().isOpen()) && sampler != null) {
            sampler.cancel(false); // never outlives its response, however that ended
            sampler = null;
        }
    }

    /** Notes an upstream response head for this request (its S3 request id goes to the access log). */
    public void upstreamHead(HttpResponse upstream) {
        String id = upstream.headers().get("x-amz-request-id");
        if (id != null) {
            ctx.channel().attr(UPSTREAM_REQUEST_ID).set(id);
        }
    }

    /** Tells the status page how many upstream connections this response uses (read from any thread). */
    public void upstreamParallelism(IntSupplier connections) {
        ctx.channel().attr(UPSTREAM_PARALLELISM).set(connections);
    }

    /** The count of where this response's bytes came from, made on first use (the disk cache's responses). */
    public CacheShare cacheShare() {
        var attr = ctx.channel().attr(CACHE_SHARE);
        CacheShare c = attr.get();
        if (c == null) {
            c = new CacheShare();
            attr.set(c);
        }
        return c;
    }

    /** Sends a status line and headers; the body follows with {@link #body} and {@link #finish}. */
    public void head(HttpResponseStatus status, HttpHeaders headers) {
        if (state == State.DONE) {
            return; // the client left, or the response was aborted: nothing more is sent
        }
        if (state != State.PENDING) {
            throw new IllegalStateException("head already sent");
        }
        state = State.HEAD_SENT;
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, status, headers);
        setConnection(r.headers());
        // Not flushed yet: the head goes out in one segment with the first body bytes (a head on
        // its own, then the body, makes the client's delayed ACK stall small responses ~40 ms).
        ctx.write(r).addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
        if (headRequest) {
            finish();
        }
    }

    /** A complete response without body (304, 416 and the like) or with a small one. */
    public void full(FullHttpResponse r) {
        if (state != State.PENDING) {
            r.release();
            abort();
            return;
        }
        state = State.DONE;
        setConnection(r.headers());
        if (headRequest) {
            // Same headers as GET, no body (RFC 9110 §9.3.2); Content-Length stays as GET's.
            r.content().clear();
        }
        ctx.writeAndFlush(r).addListener(f -> complete(f.isSuccess()));
    }

    /** @param success the response was written whole */
    private void complete(boolean success) {
        if (!completed) {
            boolean reusable = success && keepAlive;
            completed = true;
            if (sampler != null) {
                sampler.cancel(false);
                sampler = null;
            }
            if (deliveryFirst >= 0) {
                // A cut response counts what reached the client's machine, not what was written:
                // written bytes may still sit in socket buffers (megabytes on a fast link) and
                // never reach the client, and counting them could spend a one-time link that a
                // resuming BITS job still needs.
                delivery.delivered(deliveryFirst, meter.delivered(success), meter.written(), deliverySize, success);
            }
            deliveryFirst = -1;
            meter = null;
            completion.responseDone(reusable);
        }
    }

    public void error(BridgeError error, String detail) {
        error(error, detail, null);
    }

    public void error(BridgeError error, String detail, HttpHeaders extra) {
        if (state != State.PENDING) {
            abort();
            return;
        }
        ctx.channel().attr(FAILURE).set(detail == null ? error.message() : detail);
        full(ErrorResponses.of(ctx.alloc(), error.status(), detail == null ? error.message() : detail, extra));
    }

    /**
     * An error after which the connection is closed, whatever keep-alive said: the request cannot
     * be read to its end (a malformed body), so no next request could be found in the stream.
     */
    public void errorAndClose(BridgeError error, String detail) {
        if (state != State.PENDING) {
            abort();
            return;
        }
        state = State.DONE;
        FullHttpResponse r = ErrorResponses.of(ctx.alloc(), error.status(), detail == null ? error.message() : detail,
                null);
        r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        if (headRequest) {
            r.content().clear();
        }
        ctx.writeAndFlush(r).addListener(f -> {
            complete(false);
            ctx.channel().close();
        });
    }

    /** Writes body bytes and flushes; ownership of {@code data} passes to Netty. */
    public void body(ByteBuf data) {
        if (state != State.HEAD_SENT) {
            data.release();
            return;
        }
        if (deliveryFirst >= 0) {
            int n = data.readableBytes();
            DeliveryMeter m = meter;
            ctx.writeAndFlush(data).addListener(f -> {
                if (f.isSuccess()) {
                    m.wrote(n);
                    m.sample(SocketQueue.held(ctx.channel()));
                } else {
                    ctx.fireExceptionCaught(f.cause());
                }
            });
            return;
        }
        ctx.writeAndFlush(data).addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
    }

    /**
     * Whether {@link #body(FileRegion, Runnable)} may be used: plain HTTP (TLS encrypts in user
     * space, so it cannot send a file's pages as they are).
     */
    public boolean zeroCopy() {
        return ctx.pipeline().get(SslHandler.class) == null;
    }

    /**
     * Writes body bytes straight from a file ({@code sendfile}); ownership of {@code region}
     * passes to Netty. Netty does not count a region against the write-buffer water marks, so a
     * caller with more to send writes the next only after {@code written} ran (on the event loop,
     * once this one is in the socket; not at all if the write failed, which closes the
     * connection). With {@code written} null the region is the end of the body: it is not flushed
     * here but by the {@link #finish} that the caller sends next, in one go.
     */
    public void body(FileRegion region, Runnable written) {
        if (state != State.HEAD_SENT) {
            region.release();
            return;
        }
        long n = region.count();
        DeliveryMeter m = deliveryFirst >= 0 ? meter : null;
        if (written == null && m == null) {
            ctx.write(region).addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
            return;
        }
        ChannelFuture f = written == null ? ctx.write(region) : ctx.writeAndFlush(region);
        f.addListener(done -> {
            if (done.isSuccess()) {
                if (m != null) {
                    m.wrote(n);
                    m.sample(SocketQueue.held(ctx.channel()));
                }
                if (written != null) {
                    written.run();
                }
            } else {
                ctx.fireExceptionCaught(done.cause());
            }
        });
    }

    public void finish() {
        if (state != State.HEAD_SENT) {
            return;
        }
        state = State.DONE;
        ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT)
                .addListener(f -> complete(f.isSuccess()));
    }

    /**
     * The client connection closed: the response ends here (once; a response already done is
     * unaffected) and anything written later is dropped.
     */
    public void connectionClosed() {
        state = State.DONE;
        complete(false);
    }

    /**
     * Runs {@code then} on this response's event loop once {@code stage} completes, wherever it
     * completes: the one way asynchronous work (S3 calls, disk, the state folder) comes back to
     * answer a client.
     */
    public <T> void onLoop(CompletionStage<T> stage, BiConsumer<? super T, ? super Throwable> then) {
        stage.whenComplete((v, e) -> ctx.executor().execute(() -> then.accept(v, e)));
    }

    /** Closes the connection now: the response cannot be completed correctly. */
    public void abort() {
        sample(); // the last look at the socket before it is closed
        state = State.DONE;
        ctx.channel().close();
        complete(false);
    }

    public boolean writable() {
        return ctx.channel().isWritable();
    }

    /** Registers what to run when the client can take more bytes again (one waiter at a time). */
    public void whenWritable(Runnable r) {
        onWritable = r;
    }

    /** Called by the handler on a writability change. */
    public void writabilityChanged() {
        if (onWritable != null && ctx.channel().isWritable()) {
            Runnable r = onWritable;
            onWritable = null;
            r.run();
        }
    }

    private void setConnection(HttpHeaders h) {
        h.set(HttpHeaderNames.CONNECTION, keepAlive ? HttpHeaderValues.KEEP_ALIVE : HttpHeaderValues.CLOSE);
    }
}
