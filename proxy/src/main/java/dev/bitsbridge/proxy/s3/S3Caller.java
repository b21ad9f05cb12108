package dev.bitsbridge.proxy.s3;

import dev.bitsbridge.proxy.upstream.UpstreamEndpoint;

import dev.bitsbridge.proxy.error.BridgeError;
import dev.bitsbridge.proxy.upstream.UpstreamEvents;
import dev.bitsbridge.proxy.upstream.UpstreamClient;
import dev.bitsbridge.proxy.upstream.UpstreamException;
import dev.bitsbridge.proxy.upstream.UpstreamExchange;
import dev.bitsbridge.proxy.upstream.UpstreamListener;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

/**
 * Sends one S3 request: gets credentials (without blocking the loop), signs each attempt for its
 * own method, and retries what is safe to retry before anything reached the client (503 SlowDown,
 * 500 InternalError, connections that fail or break before a response) with jittered backoff,
 * bounded by the retry count and by the upstream timeout. What is left is handed to the caller:
 * a response head (the caller then owns the exchange and its body) or a {@link BridgeError}.
 *
 * <p>Thread-safety: stateless apart from its collaborators; each call runs on the given event loop.
 */
public final class S3Caller {

    private static final Logger log = LoggerFactory.getLogger(S3Caller.class);

    /** Receives the outcome of a call on its event loop. */
    public interface Callback {
        /** A response that is not retried. The callback must consume or abort the exchange. */
        void onResponse(UpstreamExchange exchange, HttpResponse head);

        /** No usable response: the client should get {@code error} with {@code detail}. */
        void onError(BridgeError error, String detail);
    }

    /** A call in progress; cancel it when the client goes away. */
    public interface Call {
        void cancel();
    }

    private final UpstreamClient client;
    private final CredentialSource credentials;
    private final RequestSigner signer;
    private final RetryPolicy retryPolicy;
    private final Duration timeout;
    private final String userAgent;
    private final UpstreamEvents events;

    /** @param credentials null for anonymous (unsigned) requests */
    public S3Caller(UpstreamClient client, CredentialSource credentials, RequestSigner signer,
            RetryPolicy retryPolicy, Duration timeout, String userAgent) {
        this(client, credentials, signer, retryPolicy, timeout, userAgent, UpstreamEvents.NONE);
    }

    /** As above, reporting each attempt's latency, retries and failures to {@code events}. */
    public S3Caller(UpstreamClient client, CredentialSource credentials, RequestSigner signer,
            RetryPolicy retryPolicy, Duration timeout, String userAgent, UpstreamEvents events) {
        this.events = events;
        this.client = client;
        this.credentials = credentials;
        this.signer = signer;
        this.retryPolicy = retryPolicy;
        this.timeout = timeout;
        this.userAgent = userAgent;
    }

    public Duration timeout() {
        return timeout;
    }

    public Call call(EventLoop loop, S3Request request, Callback callback) {
        Attempts a = new Attempts(loop, request, callback, System.nanoTime() + timeout.toNanos());
        a.next();
        return a;
    }

    /** The attempts of one call. Confined to its event loop. */
    private final class Attempts implements Call, UpstreamListener {
        private final EventLoop loop;
        private final S3Request request;
        private final Callback callback;
        private final long deadline;
        private int attempt;
        private boolean cancelled;
        private UpstreamExchange current;
        private ScheduledFuture<?> retryTimer;
        private long sentNanos;

        Attempts(EventLoop loop, S3Request request, Callback callback, long deadline) {
            this.loop = loop;
            this.request = request;
            this.callback = callback;
            this.deadline = deadline;
        }

        void next() {
            attempt++;
            if (credentials == null || request.isPresigned()) {
                send(null);
                return;
            }
            CompletableFuture<AwsCredentialsIdentity> f = credentials.credentials();
            if (f.isDone() && !f.isCompletedExceptionally()) {
                send(f.join());
                return;
            }
            f.whenComplete((c, err) -> loop.execute(() -> {
                if (cancelled) {
                    return;
                }
                if (err != null) {
                    events.credentialsFailure();
                    Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
                    callback.onError(BridgeError.CREDENTIALS_UNAVAILABLE, cause instanceof CredentialsUnavailableException
                            ? cause.getMessage() : BridgeError.CREDENTIALS_UNAVAILABLE.message());
                } else {
                    send(c);
                }
            }));
        }

        private void send(AwsCredentialsIdentity creds) {
            if (cancelled) {
                return;
            }
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                callback.onError(BridgeError.UPSTREAM_TIMEOUT, null);
                return;
            }
            UpstreamEndpoint ep = request.target().endpoint();
            FullHttpRequest http = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1,
                    HttpMethod.valueOf(request.method()), request.uri(), Unpooled.EMPTY_BUFFER);
            http.headers().set(request.headers());
            http.headers().set(HttpHeaderNames.HOST, ep.hostHeader());
            http.headers().set(HttpHeaderNames.USER_AGENT, userAgent);
            if (creds != null) {
                try {
                    signer.sign(request.method(), request.target(), request.query(), http.headers(), creds);
                } catch (RuntimeException e) {
                    http.release();
                    events.credentialsFailure();
                    log.warn("signing failed: {}", e.getClass().getSimpleName());
                    callback.onError(BridgeError.CREDENTIALS_UNAVAILABLE, "the request could not be signed");
                    return;
                }
            }
            sentNanos = System.nanoTime();
            // A presigned URL was handed in by a caller (a link, a vendor): its address is checked.
            client.send(loop, ep, http, request.method().equals("HEAD"), request.isPresigned(),
                    Duration.ofNanos(remaining), this);
        }

        @Override
        public void onHead(UpstreamExchange exchange, HttpResponse head) {
            current = exchange;
            int status = head.status().code();
            events.upstreamResponse(request.method(), status, System.nanoTime() - sentNanos);
            if (cancelled) {
                exchange.abort();
                return;
            }
            if (S3Errors.retryable(status) && scheduleRetry("http_" + status, "S3 answered " + status)) {
                exchange.abort();
                return;
            }
            callback.onResponse(exchange, head);
        }

        @Override
        public void onContent(UpstreamExchange exchange, HttpContent content) {
            // Only reached if the callback read a body without taking the exchange over.
            content.release();
        }

        @Override
        public void onFailure(UpstreamExchange exchange, UpstreamException cause) {
            if (cancelled) {
                return;
            }
            events.upstreamFailure(cause.kind());
            switch (cause.kind()) {
                case CONNECT_FAILED, CLOSED_BEFORE_RESPONSE -> {
                    if (!scheduleRetry(reason(cause), cause.getMessage())) {
                        callback.onError(BridgeError.UPSTREAM_UNREACHABLE, cause.getMessage());
                    }
                }
                case ADDRESS_REFUSED -> callback.onError(BridgeError.UPSTREAM_UNREACHABLE, cause.getMessage());
                case TIMEOUT -> callback.onError(BridgeError.UPSTREAM_TIMEOUT, null);
                case TRUNCATED -> {
                    if (!scheduleRetry(reason(cause), cause.getMessage())) {
                        callback.onError(BridgeError.UPSTREAM_ERROR, cause.getMessage());
                    }
                }
            }
        }

        private String reason(UpstreamException cause) {
            return cause.kind().name().toLowerCase(java.util.Locale.ROOT);
        }

        /** @param reason a fixed token for the metrics; {@code why} the detail for the debug log */
        private boolean scheduleRetry(String reason, String why) {
            if (attempt > retryPolicy.maxRetries()) {
                return false;
            }
            long delay = retryPolicy.delayMillis(attempt);
            if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delay) >= deadline) {
                return false;
            }
            log.debug("retrying {} of {} in {} ms: {}", request.method(), request.target().endpoint(), delay, why);
            events.upstreamRetry(reason);
            retryTimer = loop.schedule(this::next, delay, TimeUnit.MILLISECONDS);
            return true;
        }

        @Override
        public void cancel() {
            cancelled = true;
            if (retryTimer != null) {
                retryTimer.cancel(false);
            }
            if (current != null && !current.isDone()) {
                current.abort();
            }
        }
    }
}
