package dev.bitsbridge.proxy.endpoint;

import io.netty.buffer.ByteBuf;

/**
 * Receives a request body piece by piece, for requests whose bodies are too large to hold
 * (BITS upload fragments). The connection reads the next piece only when the sink asks for it, so
 * a slow disk or a slow S3 slows the client down instead of filling memory.
 *
 * <p>Called on the client's event loop. Buffer ownership: each {@code data} passed to
 * {@link #onContent} belongs to the sink, which must release it.
 */
public interface RequestBodySink {

    /**
     * A piece of the body; {@code last} marks its end. Unless {@code last}, the sink calls
     * {@code more.run()} (from any thread) when it wants the next piece.
     */
    void onContent(ByteBuf data, boolean last, Runnable more);

    /** The connection closed before the body ended. */
    void onAbort();
}
