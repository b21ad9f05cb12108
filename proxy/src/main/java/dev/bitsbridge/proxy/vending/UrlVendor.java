package dev.bitsbridge.proxy.vending;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bitsbridge.proxy.state.Json;
import dev.bitsbridge.proxy.download.ObjectSource.SourceException;
import dev.bitsbridge.proxy.error.BridgeError;
import dev.bitsbridge.proxy.links.PresignedUrl;
import dev.bitsbridge.proxy.links.UpstreamAllowlist;
import dev.bitsbridge.proxy.config.ProxyRoutes;
import dev.bitsbridge.proxy.s3.S3Paths;
import dev.bitsbridge.proxy.upstream.JdkProxies;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks the application's backend for a URL presigned for one key and one method
 * ({@code GET <vendor>?key=<key>&method=<HEAD|GET>} → JSON {@code {"url": "..."}} or the URL as
 * text/plain), and caches it per key and method until shortly before it expires. Backend 403 and
 * 404 are passed through to the client; other failures are a 502.
 *
 * <p>Thread-safe. Uses the JDK's asynchronous HTTP client, so no event loop ever blocks on the
 * backend; futures complete on the client's threads.
 */
public final class UrlVendor {

    private static final Logger log = LoggerFactory.getLogger(UrlVendor.class);
    /** A vended URL is not reused in its last minute: a transfer started with it must still finish. */
    static final Duration REUSE_MARGIN = Duration.ofSeconds(60);
    /** How long a URL that does not say when it expires is reused. */
    static final Duration DEFAULT_REUSE = Duration.ofSeconds(60);

    private final URI vendor;
    private final List<String[]> headers;
    private final UpstreamAllowlist allowlist;
    private final Duration timeout;
    private final HttpClient http;
    private final Clock clock;
    private final LruCache<String, Cached> cache;

    private record Cached(PresignedUrl url, Instant reuseUntil) {
    }

    /** @param headers "Name: value" strings sent with every backend request (API keys) */
    public UrlVendor(URI vendor, List<String> headers, UpstreamAllowlist allowlist, Duration timeout) {
        this(vendor, headers, allowlist, timeout, Clock.systemUTC());
    }

    /** @param clock decides when a cached URL is replaced */
    public UrlVendor(URI vendor, List<String> headers, UpstreamAllowlist allowlist, Duration timeout, Clock clock) {
        this(vendor, headers, allowlist, timeout, clock, 1_000);
    }

    /** @param cacheEntries vended URLs kept at most (least recently used dropped first) */
    public UrlVendor(URI vendor, List<String> headers, UpstreamAllowlist allowlist, Duration timeout, Clock clock,
            int cacheEntries) {
        this(vendor, headers, allowlist, timeout, clock, cacheEntries, ProxyRoutes.DIRECT);
    }

    /** @param proxies the forward proxies the vendor is reached through (--upstream-proxy, HTTPS_PROXY) */
    public UrlVendor(URI vendor, List<String> headers, UpstreamAllowlist allowlist, Duration timeout, Clock clock,
            int cacheEntries, ProxyRoutes proxies) {
        this.cache = new LruCache<>(cacheEntries);
        this.vendor = vendor;
        this.headers = headers.stream().map(UrlVendor::splitHeader).toList();
        this.allowlist = allowlist;
        this.timeout = timeout;
        this.clock = clock;
        HttpClient.Builder hb = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER)
                .proxy(JdkProxies.selector(proxies));
        if (JdkProxies.authenticator(proxies) != null) {
            hb.authenticator(JdkProxies.authenticator(proxies));
        }
        this.http = hb.build();
    }

    static String[] splitHeader(String h) {
        int colon = h.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("a vendor header must look like \"Name: value\"");
        }
        return new String[] {h.substring(0, colon).trim(), h.substring(colon + 1).trim()};
    }

    /** A URL presigned for {@code method} on {@code key}: cached unless {@code fresh}. */
    public CompletableFuture<PresignedUrl> url(String key, String method, boolean fresh) {
        String cacheKey = method + " " + key;
        Cached c = cache.get(cacheKey);
        Instant now = clock.instant();
        if (!fresh && c != null && now.isBefore(c.reuseUntil())) {
            return CompletableFuture.completedFuture(c.url());
        }
        String q = (vendor.getRawQuery() == null ? "" : vendor.getRawQuery() + "&") + "key="
                + S3Paths.encodeQueryComponent(key) + "&method=" + method;
        URI u = URI.create(vendor.getScheme() + "://" + vendor.getRawAuthority()
                + (vendor.getRawPath() == null || vendor.getRawPath().isEmpty() ? "/" : vendor.getRawPath()) + "?" + q);
        HttpRequest.Builder b = HttpRequest.newBuilder(u).timeout(timeout).GET()
                .header("Accept", "application/json, text/plain");
        for (String[] h : headers) {
            b.header(h[0], h[1]);
        }
        return http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofByteArray())
                .handle((resp, err) -> {
                    if (err != null) {
                        log.warn("URL vendor unreachable: {}", err.getClass().getSimpleName());
                        throw new SourceException(BridgeError.UPSTREAM_ERROR, "the URL vendor cannot be reached");
                    }
                    PresignedUrl url = parse(resp);
                    Instant exp = url.expires();
                    Instant reuse = exp == null ? clock.instant().plus(DEFAULT_REUSE) : exp.minus(REUSE_MARGIN);
                    cache.put(cacheKey, new Cached(url, reuse));
                    return url;
                });
    }

    private PresignedUrl parse(HttpResponse<byte[]> resp) {
        int s = resp.statusCode();
        String body = new String(resp.body(), StandardCharsets.UTF_8).trim();
        if (s == 403 || s == 404) {
            throw new SourceException(s == 403 ? BridgeError.ACCESS_DENIED : BridgeError.NO_SUCH_KEY,
                    "the URL vendor answered " + s + (body.isEmpty() || body.length() > 200 ? "" : ": " + oneLine(body)));
        }
        if (s / 100 != 2) {
            throw new SourceException(BridgeError.UPSTREAM_ERROR, "the URL vendor answered HTTP " + s);
        }
        String url = body;
        String type = resp.headers().firstValue("Content-Type").orElse("");
        if (type.contains("json") || body.startsWith("{")) {
            try {
                JsonNode n = Json.mapper().readTree(body);
                url = n.path("url").asText("");
            } catch (IOException e) {
                throw new SourceException(BridgeError.UPSTREAM_ERROR, "the URL vendor's answer is not valid JSON");
            }
        }
        PresignedUrl p;
        try {
            p = PresignedUrl.parse(url);
        } catch (IllegalArgumentException e) {
            throw new SourceException(BridgeError.UPSTREAM_ERROR, "the URL vendor's answer has no usable url: "
                    + e.getMessage());
        }
        if (!allowlist.allows(p.endpoint())) {
            throw new SourceException(BridgeError.UPSTREAM_ERROR, "the URL vendor sent a URL for a host that is not allowed: "
                    + p.endpoint().hostHeader());
        }
        return p;
    }

    private static String oneLine(String s) {
        return s.replaceAll("[\\r\\n\\t]+", " ");
    }
}
