package dev.bitsbridge.proxy.observe;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bitsbridge.proxy.endpoint.ClientResponse;
import dev.bitsbridge.proxy.endpoint.Transfer;
import dev.bitsbridge.proxy.error.BridgeError;
import dev.bitsbridge.proxy.endpoint.JsonResponses;
import dev.bitsbridge.proxy.endpoint.ProxyEndpoint;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * The operator endpoints, all read-only ({@code GET}/{@code HEAD}):
 * <ul>
 *   <li>{@code /_bitsbridge/ready}: 200 or 503 JSON from {@link Readiness};</li>
 *   <li>{@code /_bitsbridge/metrics}: Prometheus text format from {@link ProxyMetrics};</li>
 *   <li>{@code /_bitsbridge/} : the live status page (static HTML/CSS/JS from the jar), which
 *       polls {@code /_bitsbridge/status.json} (the {@link TransferRegistry} snapshot).</li>
 * </ul>
 * They pass through the same Host/Origin guard as every request. The page sets a strict
 * Content-Security-Policy: it runs only its own script and talks only to this origin.
 *
 * <p>Thread-safe; called on client event loops. A scrape and a snapshot are built on the loop (a
 * few hundred meters, a map walk), which is cheap next to the requests they describe.
 */
public final class OpsEndpoints implements ProxyEndpoint {

    private static final String PREFIX = "/_bitsbridge/";
    private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"
            + " img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    /** Static files of the page: path → (content type, bytes), loaded once. */
    private static final Map<String, Asset> ASSETS = Map.of(
            "/_bitsbridge/", asset("status.html", "text/html; charset=utf-8"),
            "/_bitsbridge", asset("status.html", "text/html; charset=utf-8"),
            "/_bitsbridge/status.js", asset("status.js", "text/javascript; charset=utf-8"),
            "/_bitsbridge/status.css", asset("status.css", "text/css; charset=utf-8"));

    private record Asset(String contentType, byte[] bytes) {
    }

    private final TransferRegistry transfers;
    private final ProxyMetrics metrics;
    private final Readiness readiness;
    private final String version;
    private final Instant started = Instant.now();

    public OpsEndpoints(TransferRegistry transfers, ProxyMetrics metrics, Readiness readiness, String version) {
        this.transfers = transfers;
        this.metrics = metrics;
        this.readiness = readiness;
        this.version = version;
    }

    @Override
    public boolean matches(String rawPath) {
        return ASSETS.containsKey(rawPath) || rawPath.equals(PREFIX + "ready") || rawPath.equals(PREFIX + "metrics")
                || rawPath.equals(PREFIX + "status.json");
    }

    @Override
    public Transfer handle(HttpRequest req, String rawPath, ByteBuf body, ClientResponse out) {
        if (!req.method().equals(HttpMethod.GET) && !req.method().equals(HttpMethod.HEAD)) {
            out.error(BridgeError.METHOD_NOT_ALLOWED, "this endpoint is read-only: GET or HEAD",
                    new DefaultHttpHeaders().set(HttpHeaderNames.ALLOW, "GET, HEAD"));
            return null;
        }
        switch (rawPath) {
            case PREFIX + "ready" -> ready(out);
            case PREFIX + "metrics" -> send(out, HttpResponseStatus.OK, "text/plain; version=0.0.4; charset=utf-8",
                    metrics.scrape().getBytes(StandardCharsets.UTF_8), false);
            case PREFIX + "status.json" -> JsonResponses.send(out, HttpResponseStatus.OK, status().toString());
            default -> {
                Asset a = ASSETS.get(rawPath);
                send(out, HttpResponseStatus.OK, a.contentType(), a.bytes(), true);
            }
        }
        return null;
    }

    /** Reported under checks.uploads in /_bitsbridge/ready: whether uploads are exactly-once here. */
    private volatile java.util.function.Supplier<String> uploadsCheck;

    /** Adds the uploads' line to the readiness answer (informational: it never makes the proxy not ready). */
    public void uploadsCheck(java.util.function.Supplier<String> check) {
        this.uploadsCheck = check;
    }

    private void ready(ClientResponse out) {
        readiness.check(out.ctx().channel().eventLoop(), r -> {
            if (out.isDone()) {
                return;
            }
            ObjectNode n = dev.bitsbridge.proxy.state.Json.mapper().createObjectNode()
                    .put("status", r.ready() ? "ready" : "not_ready")
                    .put("version", version);
            if (r.reason() != null) {
                n.put("reason", r.reason());
            }
            ObjectNode checks = n.putObject("checks").put("credentials", r.credentials()).put("s3", r.s3());
            java.util.function.Supplier<String> uploads = uploadsCheck;
            if (uploads != null) {
                checks.put("uploads", "conditional writes " + uploads.get());
            }
            JsonResponses.send(out, r.ready() ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                    n.toString() + "\n");
        });
    }

    /** The status page's data: totals, active transfers (oldest first), recent errors (newest first). */
    ObjectNode status() {
        TransferRegistry.Snapshot s = transfers.snapshot();
        ObjectNode n = dev.bitsbridge.proxy.state.Json.mapper().createObjectNode()
                .put("version", version)
                .put("uptime_seconds", Duration.between(started, Instant.now()).toSeconds())
                .put("time", Instant.now().toString());
        n.putObject("totals")
                .put("requests", s.requests())
                .put("failed", s.failed())
                .put("bytes_sent", s.bytesSent())
                .put("active", s.active().size());
        ArrayNode active = n.putArray("active");
        for (TransferRegistry.Row r : s.active()) {
            ObjectNode row = active.addObject();
            row
                    .put("id", r.id()).put("method", r.method()).put("path", r.path()).put("client", r.client())
                    .put("status", r.status()).put("bytes", r.bytes()).put("total", r.total())
                    .put("age_ms", r.ageMillis()).put("bytes_per_second", r.bytesPerSecond())
                    .put("started", r.startedAt().toString()).put("upstream_connections", r.upstreamConnections());
            if (r.cacheBytes() >= 0) {
                // Served through the disk cache: what came from complete slices, what from S3.
                long both = r.cacheBytes() + r.s3Bytes();
                ObjectNode c = row.putObject("cache").put("hit_bytes", r.cacheBytes()).put("s3_bytes", r.s3Bytes());
                if (both > 0) {
                    c.put("hit_ratio", Math.round(r.cacheBytes() * 1000.0 / both) / 1000.0);
                } else {
                    c.putNull("hit_ratio");
                }
            }
        }
        ArrayNode errors = n.putArray("recent_errors");
        for (TransferRegistry.Failure f : s.recentErrors()) {
            errors.addObject()
                    .put("time", f.time().toString()).put("method", f.method()).put("path", f.path())
                    .put("client", f.client()).put("status", f.status()).put("note", f.note());
        }
        return n;
    }

    private static void send(ClientResponse out, HttpResponseStatus status, String contentType, byte[] bytes,
            boolean page) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType)
                .set(HttpHeaderNames.CONTENT_LENGTH, bytes.length)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
                .set("X-Content-Type-Options", "nosniff");
        if (page) {
            r.headers().set("Content-Security-Policy", CSP).set("X-Frame-Options", "DENY")
                    .set("Referrer-Policy", "no-referrer");
        }
        out.full(r);
    }

    private static Asset asset(String name, String contentType) {
        try (InputStream in = OpsEndpoints.class.getResourceAsStream("status/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return new Asset(contentType, in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
