package dev.bitsbridge.proxy.upstream;

/**
 * An upstream exchange failed. {@link Kind} says how, which decides whether a retry is safe and
 * which status the client gets. Messages never contain request URLs or headers (they may carry
 * signatures).
 */
public final class UpstreamException extends Exception {
    private static final long serialVersionUID = 1L;

    public enum Kind {
        /** No connection could be made (refused, DNS, TLS handshake). Nothing was sent. */
        CONNECT_FAILED,
        /** The resolved address was refused by the {@link AddressCheck}. Nothing was sent; not retried. */
        ADDRESS_REFUSED,
        /** The connection broke before a response head arrived. Safe to retry a GET or HEAD. */
        CLOSED_BEFORE_RESPONSE,
        /** No response head, or no body bytes while some were wanted, within the timeout. */
        TIMEOUT,
        /** The body ended before Content-Length bytes arrived, or the response was malformed. */
        TRUNCATED
    }

    private final Kind kind;

    public UpstreamException(Kind kind, String message, Throwable cause) {
        super(message, cause, false, false);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
