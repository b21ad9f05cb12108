package dev.bitsbridge.proxy.server;

import dev.bitsbridge.proxy.endpoint.ProxyEndpoint;
import dev.bitsbridge.proxy.endpoint.JsonResponses;

import dev.bitsbridge.proxy.endpoint.ClientResponse;
import dev.bitsbridge.proxy.endpoint.Transfer;
import dev.bitsbridge.proxy.error.BridgeError;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * The proxy's own answers: the reserved {@code /_bitsbridge/} endpoints (health built in, the
 * rest registered as {@link ProxyEndpoint}s), OPTIONS, the BITS upload verb while uploads are off,
 * and refusals of other methods. Thread-safe.
 */
final class ProxyEndpoints {

    static final String ALLOW = "GET, HEAD, OPTIONS";
    static final String ALLOW_WITH_UPLOADS = "GET, HEAD, OPTIONS, BITS_POST";
    private static final Set<String> KNOWN_METHODS = Set.of("POST", "PUT", "DELETE", "PATCH", "TRACE", "CONNECT");

    private final String version;
    private final List<ProxyEndpoint> endpoints;
    private final Instant started = Instant.now();
    private final String allow;

    /** @param uploads BITS_POST is served (RFC 9110 §10.2.1: Allow lists every method the target supports) */
    ProxyEndpoints(String version, List<ProxyEndpoint> endpoints, boolean uploads) {
        this.version = version;
        this.endpoints = List.copyOf(endpoints);
        this.allow = uploads ? ALLOW_WITH_UPLOADS : ALLOW;
    }

    Transfer handle(HttpRequest req, String rawPath, ByteBuf body, ClientResponse out) {
        boolean read = req.method().equals(HttpMethod.GET) || req.method().equals(HttpMethod.HEAD);
        if (rawPath.equals("/_bitsbridge/health") && read) {
            long uptime = Duration.between(started, Instant.now()).toSeconds();
            java.util.Map<String, Object> health = new java.util.LinkedHashMap<>();
            health.put("status", "ok");
            health.put("version", version);
            health.put("uptime_seconds", uptime);
            JsonResponses.send(out, HttpResponseStatus.OK, health);
            return null;
        }
        for (ProxyEndpoint e : endpoints) {
            if (e.matches(rawPath)) {
                return e.handle(req, rawPath, body, out);
            }
        }
        out.error(BridgeError.NO_SUCH_KEY, "no such bitsbridge endpoint (paths under /_bitsbridge/ are reserved)");
        return null;
    }

    /**
     * OPTIONS, for {@code *} (the server) or any path: 204 with Allow. Answered before the path is
     * read, since {@code OPTIONS *} has none and a path's methods do not depend on it.
     */
    void options(ClientResponse out) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT);
        r.headers().set(HttpHeaderNames.ALLOW, allow);
        out.full(r);
    }

    void otherMethod(HttpRequest req, ClientResponse out) {
        String m = req.method().name();
        if (m.equals("OPTIONS")) {
            options(out);
            return;
        }
        HttpHeaders allow = new DefaultHttpHeaders().set(HttpHeaderNames.ALLOW, this.allow);
        if (KNOWN_METHODS.contains(m)) {
            out.error(BridgeError.METHOD_NOT_ALLOWED, m + " is not supported; this proxy serves " + this.allow, allow);
        } else {
            out.error(BridgeError.NOT_IMPLEMENTED, "unknown method", allow);
        }
    }
}
