package dev.bitsbridge.proxy.observe;

import dev.bitsbridge.proxy.upstream.UpstreamEvents;

/**
 * What the proxy reports as it works: the one observation mechanism, injected where events
 * happen (the upstream caller sees it as {@link UpstreamEvents}, the per-connection tracker as
 * this). Same contract as {@link UpstreamEvents}: thread-safe, non-blocking, no allocation per
 * call, default methods do nothing ({@link #NONE}).
 */
public interface ProxyEvents extends UpstreamEvents {

    ProxyEvents NONE = new ProxyEvents() {
    };

    /**
     * Request body bytes (uploads) were read from a client: reported as they arrive, in batches
     * (at the latest at the end of the body, or when the connection closed mid-body).
     */
    default void requestBodyReceived(long bytes) {
    }

    /**
     * Response body bytes were written to a client's socket: reported as they go, in batches (at
     * the latest when the response ends), so a counter built on it moves during a transfer.
     */
    default void responseBodySent(long bytes) {
    }

    /**
     * A client response ended.
     *
     * @param bytesSent response body bytes written to the client (already reported, as they went,
     *     to {@link #responseBodySent})
     * @param complete false when the connection closed before the response was complete
     */
    default void requestDone(String method, int status, long bytesSent, long nanos, boolean complete) {
    }
}
