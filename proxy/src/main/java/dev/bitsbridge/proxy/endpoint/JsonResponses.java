package dev.bitsbridge.proxy.endpoint;

import dev.bitsbridge.proxy.error.BridgeError;
import dev.bitsbridge.proxy.error.ErrorResponses;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/** JSON answers of the proxy's own endpoints. */
public final class JsonResponses {


    private JsonResponses() {
    }

    public static void send(ClientResponse out, HttpResponseStatus status, String json) {
        send(out, status, json, null);
    }

    public static void send(ClientResponse out, HttpResponseStatus status, String json, HttpHeaders extra) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.wrappedBuffer(json.getBytes(StandardCharsets.UTF_8)));
        if (extra != null) {
            r.headers().set(extra);
        }
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        r.headers().set(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
        r.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        out.full(r);
    }

    /**
     * The request body as a JSON object, or null after answering 400 (not JSON, or not an object):
     * what every endpoint that takes a body starts with.
     */
    public static com.fasterxml.jackson.databind.JsonNode objectBody(io.netty.buffer.ByteBuf body, ClientResponse out) {
        try {
            com.fasterxml.jackson.databind.JsonNode n = dev.bitsbridge.proxy.state.Json.mapper()
                    .readTree(new io.netty.buffer.ByteBufInputStream(body.duplicate()));
            if (n == null || !n.isObject()) {
                error(out, BridgeError.INVALID_BODY, "the body must be a JSON object");
                return null;
            }
            return n;
        } catch (java.io.IOException e) {
            error(out, BridgeError.INVALID_BODY, "the body is not valid JSON");
            return null;
        }
    }

    /** An object of string and number fields as a JSON answer, written by Jackson (never by hand). */
    public static void send(ClientResponse out, HttpResponseStatus status, java.util.Map<String, ?> fields) {
        send(out, status, dev.bitsbridge.proxy.state.Json.mapper().valueToTree(fields).toString());
    }

    /** One of the proxy's errors in the endpoints' format: {@code {"error": "...", "status": N}}. */
    public static void error(ClientResponse out, BridgeError error, String detail) {
        error(out, error, detail, null);
    }

    /** As {@link #error(ClientResponse, BridgeError, String)}, with extra headers (Allow on a 405). */
    public static void error(ClientResponse out, BridgeError error, String detail, HttpHeaders extra) {
        if (out.headSent()) {
            out.abort();
            return;
        }
        out.full(ErrorResponses.json(out.ctx().alloc(), error, detail, extra));
    }

}
