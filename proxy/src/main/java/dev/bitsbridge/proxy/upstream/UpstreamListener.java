package dev.bitsbridge.proxy.upstream;

import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;

/**
 * Receives one upstream exchange's events, always on the exchange's event loop. Exactly one of
 * "the last content" or {@link #onFailure} ends an exchange.
 */
public interface UpstreamListener {

    /** The response head. Body content follows only after {@link UpstreamExchange#read()}. */
    void onHead(UpstreamExchange exchange, HttpResponse head);

    /**
     * A piece of the body; the listener owns {@code content} and must release it (or pass it on).
     * A {@link io.netty.handler.codec.http.LastHttpContent} ends the exchange: by then the
     * connection has gone back to the pool, the byte count having matched Content-Length.
     */
    void onContent(UpstreamExchange exchange, HttpContent content);

    /** The exchange failed; the connection was closed and will not be reused. */
    void onFailure(UpstreamExchange exchange, UpstreamException cause);
}
