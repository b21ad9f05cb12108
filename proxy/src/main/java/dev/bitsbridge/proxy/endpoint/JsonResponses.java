package dev.bitsbridge.proxy.endpoint;

import dev.bitsbridge.proxy.error.BridgeError;
import dev.bitsbridge.proxy.error.ErrorResponses;
import dev.bitsbridge.proxy.state.Json;
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

    /** One of the proxy's errors in the endpoints' format: {@code {"error": "...", "status": N}}. */
    public static void error(ClientResponse out, BridgeError error, String detail) {
        out.full(ErrorResponses.json(out.ctx().alloc(), error, detail));
    }

    /** An error in the endpoint's own format: {@code {"error": "..."}} with the status. */
    public static void error(ClientResponse out, HttpResponseStatus status, String message) {
        send(out, status, Json.mapper().createObjectNode().put("error", message).toString() + "\n");
    }
}
