package dev.bitsbridge.proxy.download;

import dev.bitsbridge.proxy.upstream.UpstreamException;
import dev.bitsbridge.proxy.upstream.UpstreamExchange;
import dev.bitsbridge.proxy.upstream.UpstreamListener;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Collects a small upstream error body (S3's XML) as text, up to a limit; past it the rest is not
 * read and the connection is closed. Delivers what it has in every case, exactly once.
 */
final class ErrorBodyReader implements UpstreamListener {

    private static final int LIMIT = 16 * 1024;

    private final StringBuilder text = new StringBuilder();
    private final Consumer<String> done;
    private boolean delivered;

    private ErrorBodyReader(Consumer<String> done) {
        this.done = done;
    }

    static void read(UpstreamExchange exchange, Consumer<String> done) {
        exchange.listener(new ErrorBodyReader(done));
        exchange.read();
    }

    @Override
    public void onHead(UpstreamExchange exchange, HttpResponse head) {
    }

    @Override
    public void onContent(UpstreamExchange exchange, HttpContent content) {
        try {
            if (text.length() < LIMIT) {
                text.append(content.content().toString(StandardCharsets.UTF_8));
            }
        } finally {
            content.release();
        }
        if (content instanceof LastHttpContent) {
            deliver();
        } else if (text.length() >= LIMIT) {
            exchange.abort();
            deliver();
        } else {
            exchange.read();
        }
    }

    @Override
    public void onFailure(UpstreamExchange exchange, UpstreamException cause) {
        deliver();
    }

    private void deliver() {
        if (!delivered) {
            delivered = true;
            done.accept(text.toString());
        }
    }
}
