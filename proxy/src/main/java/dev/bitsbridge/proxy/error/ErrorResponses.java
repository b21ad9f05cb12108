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
 * Writes a {@link BridgeError} for the client that asked: a one-line {@code text/plain} body
 * (a message for people, never a stack trace) or a {@code {"error": "..."}} JSON body for the
 * proxy's own endpoints; both with Content-Length and {@code Cache-Control: no-store}.
 */
public final class ErrorResponses {

    private ErrorResponses() {
    }

    public static FullHttpResponse of(ByteBufAllocator alloc, BridgeError error, String detail) {
        return of(alloc, error.status(), detail == null ? error.message() : detail, null);
    }

    /** The text rendering: {@code "404 Not Found: no such object"}. */
    public static FullHttpResponse text(ByteBufAllocator alloc, BridgeError error, String detail, HttpHeaders extra) {
        return of(alloc, error.status(), detail == null ? error.message() : detail, extra);
    }

    /** The JSON rendering: {@code {"error": "...", "status": 404}}. */
    public static FullHttpResponse json(ByteBufAllocator alloc, BridgeError error, String detail, HttpHeaders extra) {
        String message = sanitize(detail == null ? error.message() : detail);
        String body = "{\"error\": \"" + jsonEscape(message) + "\", \"status\": " + error.status().code() + "}\n";
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, error.status(),
                ByteBufUtil.writeUtf8(alloc, body));
        if (extra != null) {
            r.headers().set(extra);
        }
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        r.headers().set(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
        r.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        return r;
    }

    private static String jsonEscape(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
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
