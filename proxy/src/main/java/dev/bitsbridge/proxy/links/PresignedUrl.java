package dev.bitsbridge.proxy.links;

import dev.bitsbridge.proxy.s3.S3Target;
import dev.bitsbridge.proxy.upstream.UpstreamEndpoint;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * A presigned S3 URL, taken apart: where to send it, its path and query exactly as received (the
 * signature covers them), and when it expires (SigV4 {@code X-Amz-Date} + {@code X-Amz-Expires},
 * or SigV2 {@code Expires}). The URL is a secret: {@link #toString()} and {@link #redacted()}
 * never show its query. Immutable.
 */
public final class PresignedUrl {

    private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'", Locale.ROOT);

    private final String url;
    private final UpstreamEndpoint endpoint;
    private final String rawPath;
    private final String rawQuery;
    private final Instant expires;

    private PresignedUrl(String url, UpstreamEndpoint endpoint, String rawPath, String rawQuery, Instant expires) {
        this.url = url;
        this.endpoint = endpoint;
        this.rawPath = rawPath;
        this.rawQuery = rawQuery;
        this.expires = expires;
    }

    /** Parses a URL; the exception's message is safe to show (it never repeats the URL). */
    public static PresignedUrl parse(String url) {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("a \"url\" is required");
        }
        URI u;
        try {
            u = new URI(url.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("the url is not a valid URL");
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("the url must be http:// or https://");
        }
        if (u.getRawUserInfo() != null) {
            throw new IllegalArgumentException("the url must not contain user info");
        }
        String host = u.getHost();
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("the url has no host");
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        boolean secure = scheme.equals("https");
        int port = u.getPort() > 0 ? u.getPort() : (secure ? 443 : 80);
        String path = u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath();
        String query = u.getRawQuery() == null ? "" : u.getRawQuery();
        return new PresignedUrl(url.trim(), new UpstreamEndpoint(secure, host.toLowerCase(Locale.ROOT), port), path,
                query, expiry(query));
    }

    static Instant expiry(String rawQuery) {
        String date = param(rawQuery, "X-Amz-Date");
        String seconds = param(rawQuery, "X-Amz-Expires");
        if (date != null && seconds != null) {
            try {
                Instant start = LocalDateTime.parse(date, AMZ_DATE).toInstant(ZoneOffset.UTC);
                return start.plusSeconds(Long.parseLong(seconds));
            } catch (DateTimeParseException | NumberFormatException e) {
                return null;
            }
        }
        String v2 = param(rawQuery, "Expires");
        if (v2 != null) {
            try {
                return Instant.ofEpochSecond(Long.parseLong(v2));
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    private static String param(String rawQuery, String name) {
        for (String part : rawQuery.split("&")) {
            int eq = part.indexOf('=');
            String k = eq < 0 ? part : part.substring(0, eq);
            if (k.equalsIgnoreCase(name)) {
                return eq < 0 ? "" : part.substring(eq + 1);
            }
        }
        return null;
    }

    /** The whole URL: a secret, to be stored and sent upstream only. */
    public String secret() {
        return url;
    }

    public UpstreamEndpoint endpoint() {
        return endpoint;
    }

    public S3Target target() {
        return new S3Target(endpoint, rawPath);
    }

    public String rawQuery() {
        return rawQuery;
    }

    /** When the URL stops working, or null if it does not say. */
    public Instant expires() {
        return expires;
    }

    /** The last path segment, decoded: a default file name. */
    public String fileName() {
        String p = rawPath;
        int slash = p.lastIndexOf('/');
        String last = slash < 0 ? p : p.substring(slash + 1);
        try {
            return java.net.URLDecoder.decode(last.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return last;
        }
    }

    /** Scheme, host and path without the query: safe to show and log. */
    public String redacted() {
        return endpoint.scheme() + "://" + endpoint.hostHeader() + rawPath;
    }

    @Override
    public String toString() {
        return redacted();
    }
}
