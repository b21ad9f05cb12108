package dev.bitsbridge.proxy.config;

import java.time.Duration;
import java.util.Objects;

/**
 * The hardening limits of issue #15, kept together so they read as one policy. Immutable; the
 * defaults ({@link #DEFAULTS}) are the documented ones (docs/security.md).
 *
 * @param allowPrivateUpstream links and vendor URLs may point at loopback, private, link-local,
 *        unique-local and metadata addresses (off: refused, whatever the allowlist says, except
 *        {@code --endpoint} and allowlist entries that are IP literals)
 * @param maxConnectionsPerClient concurrent connections from one client address; more get 503
 * @param bodyWindow a request body must bring at least {@code bodyMinBytes} in every window this
 *        long, else 408 and close (a body trickled one byte at a time holds a connection)
 * @param bodyMinBytes see {@code bodyWindow}
 * @param maxLinks registered links at most ({@code --max-links}; 0: no limit); more get 507 until
 *        some are deleted or expire
 * @param linkMaxAge a registered link is dropped this long after its last change (registration or
 *        a PUT of a fresh URL) unless it was registered with a shorter lifetime ({@code --link-max-age})
 * @param vendorCacheEntries vended URLs cached at most (least recently used go first)
 */
public record SecurityConfig(
        boolean allowPrivateUpstream,
        int maxConnectionsPerClient,
        Duration bodyWindow,
        long bodyMinBytes,
        int maxLinks,
        Duration linkMaxAge,
        int vendorCacheEntries) {

    public static final SecurityConfig DEFAULTS = new SecurityConfig(false, 64, Duration.ofSeconds(10), 1024,
            10_000, Duration.ofDays(30), 1_000);

    public SecurityConfig {
        Objects.requireNonNull(bodyWindow, "bodyWindow");
        Objects.requireNonNull(linkMaxAge, "linkMaxAge");
    }

    public SecurityConfig withAllowPrivateUpstream(boolean v) {
        return new SecurityConfig(v, maxConnectionsPerClient, bodyWindow, bodyMinBytes, maxLinks, linkMaxAge,
                vendorCacheEntries);
    }

    public SecurityConfig withMaxConnectionsPerClient(int v) {
        return new SecurityConfig(allowPrivateUpstream, v, bodyWindow, bodyMinBytes, maxLinks, linkMaxAge,
                vendorCacheEntries);
    }

    public SecurityConfig withBodyMinRate(long bytes, Duration window) {
        return new SecurityConfig(allowPrivateUpstream, maxConnectionsPerClient, window, bytes, maxLinks, linkMaxAge,
                vendorCacheEntries);
    }

    public SecurityConfig withMaxLinks(int v) {
        return new SecurityConfig(allowPrivateUpstream, maxConnectionsPerClient, bodyWindow, bodyMinBytes, v,
                linkMaxAge, vendorCacheEntries);
    }

    public SecurityConfig withLinkMaxAge(Duration v) {
        return new SecurityConfig(allowPrivateUpstream, maxConnectionsPerClient, bodyWindow, bodyMinBytes, maxLinks, v,
                vendorCacheEntries);
    }

    public SecurityConfig withVendorCacheEntries(int v) {
        return new SecurityConfig(allowPrivateUpstream, maxConnectionsPerClient, bodyWindow, bodyMinBytes, maxLinks,
                linkMaxAge, v);
    }
}
