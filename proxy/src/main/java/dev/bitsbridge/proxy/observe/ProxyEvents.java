package dev.bitsbridge.proxy.observe;

import dev.bitsbridge.proxy.upstream.UpstreamException;

/**
 * What the proxy reports as it works: the one observation mechanism, injected where events
 * happen (the upstream caller, the per-connection tracker). The default methods do nothing, so a
 * component built without observation ({@link #NONE}) pays one virtual call per event.
 *
 * <p>Implementations are called from event loops, concurrently: they must be thread-safe, must
 * not block, and should not allocate per call (these run per request and per upstream attempt,
 * never per byte).
 */
public interface ProxyEvents {

    ProxyEvents NONE = new ProxyEvents() {
    };

    /** An upstream attempt got a response head after {@code nanos}. */
    default void upstreamResponse(String method, int status, long nanos) {
    }

    /** An upstream attempt failed without a usable response. */
    default void upstreamFailure(UpstreamException.Kind kind) {
    }

    /** Credentials could not be obtained, or a request could not be signed. */
    default void credentialsFailure() {
    }

    /** An upstream attempt is retried; {@code reason} is a short fixed token such as {@code http_503}. */
    default void upstreamRetry(String reason) {
    }

    /**
     * Request body bytes (uploads) were read from a client: reported once per request body, or
     * what had arrived when the connection closed mid-body.
     */
    default void requestBodyReceived(long bytes) {
    }

    /**
     * A client response ended.
     *
     * @param bytesSent response body bytes written to the client
     * @param complete false when the connection closed before the response was complete
     */
    default void requestDone(String method, int status, long bytesSent, long nanos, boolean complete) {
    }
}
