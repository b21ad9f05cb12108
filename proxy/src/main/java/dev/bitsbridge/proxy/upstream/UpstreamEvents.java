package dev.bitsbridge.proxy.upstream;

/**
 * What the upstream callers report as they work, one event per attempt (never per byte). Lives
 * here, under the S3 layer, so that signing and retrying code reports to metrics without knowing
 * them; the proxy-wide {@code observe.ProxyEvents} extends it with client-side events.
 *
 * <p>Implementations are called from event loops, concurrently: they must be thread-safe, must
 * not block, and should not allocate per call. The default methods do nothing, so a component
 * built without observation ({@link #NONE}) pays one virtual call per event.
 */
public interface UpstreamEvents {

    UpstreamEvents NONE = new UpstreamEvents() {
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
}
