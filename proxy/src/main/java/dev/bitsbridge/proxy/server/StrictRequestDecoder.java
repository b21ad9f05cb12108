package dev.bitsbridge.proxy.server;

import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequestDecoder;

/**
 * Netty's request decoder, except that a request with both Content-Length and
 * {@code Transfer-Encoding: chunked} keeps both headers instead of silently dropping
 * Content-Length, so {@link RequestGuardHandler} can refuse it: two framings are how request
 * smuggling between proxies starts (RFC 9112 §6.3).
 */
final class StrictRequestDecoder extends HttpRequestDecoder {

    StrictRequestDecoder(int maxInitialLineLength, int maxHeaderSize) {
        super(new HttpDecoderConfig()
                .setMaxInitialLineLength(maxInitialLineLength)
                .setMaxHeaderSize(maxHeaderSize)
                .setMaxChunkSize(64 * 1024));
    }

    @Override
    protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
        // Keep both; the guard answers 400 and closes.
    }
}
