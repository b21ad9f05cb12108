package dev.bitsbridge.proxy.upstream;

import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;

/**
 * Reads an upstream body that has no further use (a HEAD's empty body, a 304) to its end, so the
 * connection returns to the pool instead of being closed.
 *
 * <p>Stateless; runs on the exchange's event loop and releases every content it is handed.
 */
public enum Drain implements UpstreamListener {
    INSTANCE;

    /** Reads the rest of {@code exchange}'s body and discards it. */
    public static void drain(UpstreamExchange exchange) {
        exchange.listener(INSTANCE);
        exchange.read();
    }

    @Override
    public void onHead(UpstreamExchange exchange, HttpResponse head) {
    }

    @Override
    public void onContent(UpstreamExchange exchange, HttpContent content) {
        content.release();
        exchange.read();
    }

    @Override
    public void onFailure(UpstreamExchange exchange, UpstreamException cause) {
    }
}
