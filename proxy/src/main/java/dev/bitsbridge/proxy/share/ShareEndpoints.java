package dev.bitsbridge.proxy.share;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bitsbridge.proxy.config.Durations;
import dev.bitsbridge.proxy.endpoint.ClientResponse;
import dev.bitsbridge.proxy.endpoint.Transfer;
import dev.bitsbridge.proxy.error.BridgeError;
import dev.bitsbridge.proxy.s3.S3Paths;
import dev.bitsbridge.proxy.endpoint.JsonResponses;
import dev.bitsbridge.proxy.endpoint.ProxyEndpoint;
import dev.bitsbridge.proxy.state.Json;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Predicate;

/**
 * {@code POST /_bitsbridge/shares}: mints a share link for an application.
 * In: {@code {"key": "setup.exe", "expires": "10m", "once": false, "upload": false}}
 * ({@code expires} as in the CLI, default {@code 24h}; {@code base_url} optional, default the
 * request's Host). Out, 201: {@code {"url", "token", "key", "expires", "once", "upload"}}.
 * Signing is a few microseconds: done on the event loop. Thread-safe.
 */
public final class ShareEndpoints implements ProxyEndpoint {

    static final String PATH = "/_bitsbridge/shares";
    public static final Duration DEFAULT_LIFETIME = Duration.ofHours(24);

    private final ShareLinks links;
    private final Predicate<String> validKey;

    /** @param validKey whether a key can be served by this proxy (its key mapping accepts it) */
    public ShareEndpoints(ShareLinks links, Predicate<String> validKey) {
        this.links = links;
        this.validKey = validKey;
    }

    @Override
    public boolean matches(String rawPath) {
        return rawPath.equals(PATH);
    }

    @Override
    public Transfer handle(HttpRequest req, String rawPath, ByteBuf body, ClientResponse out) {
        if (!req.method().equals(HttpMethod.POST)) {
            JsonResponses.error(out, BridgeError.METHOD_NOT_ALLOWED, "allowed here: POST",
                    new DefaultHttpHeaders().set(HttpHeaderNames.ALLOW, "POST"));
            return null;
        }
        JsonNode in = JsonResponses.objectBody(body, out);
        if (in == null) {
            return null;
        }
        String key = in.path("key").asText("");
        if (key.startsWith("/")) {
            key = key.substring(1);
        }
        if (key.isEmpty() || !validKey.test(key)) {
            JsonResponses.error(out, BridgeError.INVALID_BODY,
                    "key must name an object this proxy serves (no empty, '.' or '..' segments)");
            return null;
        }
        ShareToken t;
        try {
            Duration life = in.hasNonNull("expires") ? Durations.parse(in.get("expires").asText()) : DEFAULT_LIFETIME;
            boolean once = in.path("once").asBoolean(false);
            boolean upload = in.path("upload").asBoolean(false);
            t = newToken(links, key, life, once, upload);
        } catch (IllegalArgumentException e) {
            JsonResponses.error(out, BridgeError.INVALID_BODY, e.getMessage());
            return null;
        }
        String base = in.hasNonNull("base_url") ? in.get("base_url").asText()
                : out.publicBase();
        String token = links.sign(t);
        ObjectNode n = Json.mapper().createObjectNode();
        n.put("url", url(base, key, token));
        n.put("token", token);
        n.put("key", key);
        n.put("expires", Instant.ofEpochSecond(t.expiresEpochSecond()).toString());
        n.put("once", t.once());
        n.put("upload", t.upload());
        JsonResponses.send(out, HttpResponseStatus.CREATED, n.toString() + "\n");
        return null;
    }

    /** A token for a new link, with the rules the CLI and this endpoint share. */
    public static ShareToken newToken(ShareLinks links, String key, Duration lifetime, boolean once, boolean upload) {
        if (once && upload) {
            throw new IllegalArgumentException("once is for downloads: an upload link is one-time by nature"
                    + " (the first upload of a key wins)");
        }
        return links.newToken(key, lifetime, once, upload);
    }

    /** The link: {@code <base>/<key, percent-encoded>?token=<token>}. */
    public static String url(String baseUrl, String key, String token) {
        String base = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        return base + "/" + S3Paths.encodeKey(key) + "?token=" + token;
    }
}
