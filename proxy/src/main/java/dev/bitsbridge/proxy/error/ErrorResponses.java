package dev.bitsbridge.proxy.error;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

/**
 * Builds the short text responses for errors: status from {@link BridgeError}, a one-line
 * {@code text/plain} body (a message for people, never a stack trace), and Content-Length.
 */
public final class ErrorResponses {

    private ErrorResponses() {
    }

    public static FullHttpResponse of(ByteBufAllocator alloc, BridgeError error, String detail) {
        return of(alloc, error.status(), detail == null ? error.message() : detail, null);
    }

    public static FullHttpResponse of(ByteBufAllocator alloc, HttpResponseStatus status, String message,
            HttpHeaders extra) {
        String text = status.code() + " " + status.reasonPhrase() + ": " + sanitize(message) + "\n";
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                ByteBufUtil.writeUtf8(alloc, text));
        if (extra != null) {
            r.headers().set(extra);
        }
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        r.headers().set(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
        r.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        return r;
    }

    /** Keeps a message on one line and bounded, whatever an upstream put in it. */
    static String sanitize(String message) {
        StringBuilder sb = new StringBuilder(Math.min(message.length(), 512));
        for (int i = 0; i < message.length() && sb.length() < 500; i++) {
            char c = message.charAt(i);
            sb.append(c < 0x20 || c == 0x7f ? ' ' : c);
        }
        return sb.toString();
    }
}
