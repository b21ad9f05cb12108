package dev.bitsbridge.proxy.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** CORS headers for listed origins only, preflight extras for preflights only. */
class CorsHandlerTest {

    private final EmbeddedChannel ch = new EmbeddedChannel(
            new CorsHandler(new HostPolicy("127.0.0.1", List.of(), List.of("https://app.example.com"))));

    @AfterEach
    void finish() {
        ch.finishAndReleaseAll();
    }

    private HttpResponse exchange(HttpMethod method, String origin, String requestMethod) {
        DefaultFullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, "/k");
        req.headers().set("Host", "127.0.0.1");
        if (origin != null) {
            req.headers().set("Origin", origin);
        }
        if (requestMethod != null) {
            req.headers().set("Access-Control-Request-Method", requestMethod);
        }
        ch.writeInbound(req);
        ((DefaultFullHttpRequest) ch.readInbound()).release();
        ch.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.PARTIAL_CONTENT));
        FullHttpResponse r = ch.readOutbound();
        r.release();
        return r;
    }

    @Test
    void listedOriginGetsAllowOriginAndExposedHeaders() {
        HttpResponse r = exchange(HttpMethod.GET, "https://app.example.com", null);
        assertEquals("https://app.example.com", r.headers().get("Access-Control-Allow-Origin"));
        assertTrue("Origin".equalsIgnoreCase(r.headers().get("Vary")), r.headers().get("Vary"));
        String expose = r.headers().get("Access-Control-Expose-Headers");
        for (String h : List.of("Content-Range", "Content-Length", "ETag", "Last-Modified", "Accept-Ranges")) {
            assertFalse(!expose.contains(h), h + " not exposed: " + expose);
        }
        assertNull(r.headers().get("Access-Control-Allow-Methods"));
    }

    @Test
    void preflightGetsMethodsHeadersAndMaxAge() {
        HttpResponse r = exchange(HttpMethod.OPTIONS, "https://app.example.com", "GET");
        assertEquals("https://app.example.com", r.headers().get("Access-Control-Allow-Origin"));
        assertEquals("GET, HEAD", r.headers().get("Access-Control-Allow-Methods"));
        assertFalse(!r.headers().get("Access-Control-Allow-Headers").contains("Range"));
        assertEquals("600", r.headers().get("Access-Control-Max-Age"));
    }

    @Test
    void noOriginOrUnlistedOriginGetsNothing() {
        HttpResponse r = exchange(HttpMethod.GET, null, null);
        assertNull(r.headers().get("Access-Control-Allow-Origin"));
        r = exchange(HttpMethod.OPTIONS, "https://other.example", "GET");
        assertNull(r.headers().get("Access-Control-Allow-Origin"));
        assertNull(r.headers().get("Access-Control-Allow-Methods"));
    }

    @Test
    void stateIsPerRequestOnAKeepAliveConnection() {
        exchange(HttpMethod.OPTIONS, "https://app.example.com", "GET");
        HttpResponse second = exchange(HttpMethod.GET, null, null);
        assertNull(second.headers().get("Access-Control-Allow-Origin"));
        HttpResponse third = exchange(HttpMethod.GET, "https://app.example.com", null);
        assertNull(third.headers().get("Access-Control-Allow-Methods"));
    }
}
