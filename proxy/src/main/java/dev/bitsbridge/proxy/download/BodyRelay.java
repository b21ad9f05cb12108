package dev.bitsbridge.proxy.download;

import dev.bitsbridge.proxy.endpoint.ClientResponse;

import dev.bitsbridge.proxy.upstream.UpstreamException;
import dev.bitsbridge.proxy.upstream.UpstreamExchange;
import dev.bitsbridge.proxy.upstream.UpstreamListener;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * Streams bytes {@code [skip, skip + length)} of an upstream body to the client, reading from S3
 * only while the client connection is writable (Netty's HexDumpProxy backpressure, driven by the
 * channel's write-buffer water marks). Buffers are passed through, never copied: a slice of the
 * upstream buffer is what gets written.
 *
 * <p>If the upstream ends early or fails, the client connection is closed (the head is already
 * out). If the upstream sends more than needed (S3 ignored a range), the rest is not read: the
 * upstream connection is closed instead.
 *
 * <p>Threading: confined to the client's event loop, which is also the upstream connection's.
 */
final class BodyRelay implements UpstreamListener {

    private final ClientResponse out;
    private final Runnable onComplete;
    private long skip;
    private long remaining;
    private boolean done;

    BodyRelay(ClientResponse out, long skip, long length, Runnable onComplete) {
        this.out = out;
        this.skip = skip;
        this.remaining = length;
        this.onComplete = onComplete;
    }

    void start(UpstreamExchange exchange) {
        exchange.listener(this);
        if (remaining == 0) {
            complete(exchange);
            return;
        }
        exchange.read();
    }

    @Override
    public void onHead(UpstreamExchange exchange, HttpResponse head) {
        // The head was handled before the relay took over.
    }

    @Override
    public void onContent(UpstreamExchange exchange, HttpContent content) {
        if (done) {
            content.release();
            return;
        }
        ByteBuf buf = content.content();
        int readable = buf.readableBytes();
        if (skip > 0) {
            int s = (int) Math.min(skip, readable);
            buf.skipBytes(s);
            skip -= s;
            readable -= s;
        }
        if (readable > remaining) {
            buf.writerIndex(buf.readerIndex() + (int) remaining);
            readable = (int) remaining;
        }
        boolean last = content instanceof LastHttpContent;
        if (readable > 0) {
            remaining -= readable;
            out.body(buf); // ownership passes to the client channel
        } else {
            content.release();
        }
        if (remaining == 0) {
            complete(exchange);
            return;
        }
        if (last) {
            // The upstream said it was complete, yet we are short: never let that look complete.
            done = true;
            out.abort();
            return;
        }
        if (out.writable()) {
            exchange.read();
        } else {
            out.whenWritable(exchange::read);
        }
    }

    private void complete(UpstreamExchange exchange) {
        done = true;
        if (!exchange.isDone()) {
            exchange.abort(); // more was coming than we need: do not read it
        }
        onComplete.run();
    }

    @Override
    public void onFailure(UpstreamExchange exchange, UpstreamException cause) {
        if (!done) {
            done = true;
            out.abort();
        }
    }

    /** Stops relaying: the client went away. */
    void cancel(UpstreamExchange exchange) {
        done = true;
        exchange.abort();
    }
}
