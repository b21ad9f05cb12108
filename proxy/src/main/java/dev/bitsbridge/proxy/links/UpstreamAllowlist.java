package dev.bitsbridge.proxy.links;

import dev.bitsbridge.proxy.upstream.UpstreamEndpoint;
import java.net.URI;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which hosts the proxy may fetch from when a caller hands it a URL: S3 in every partition
 * ({@code *.amazonaws.com}, {@code *.amazonaws.com.cn}), the configured {@code --endpoint}, and
 * hosts given with {@code --allow-upstream HOST[:PORT]}. Anything else is refused, so a local
 * caller cannot use the proxy to reach instance metadata (169.254.169.254) or internal services.
 * Immutable.
 */
public final class UpstreamAllowlist {

    private final Set<String> hostPorts = new HashSet<>();
    private final Set<String> hosts = new HashSet<>();

    public UpstreamAllowlist(URI endpoint, List<String> allowUpstream) {
        if (endpoint != null && endpoint.getHost() != null) {
            int port = endpoint.getPort() > 0 ? endpoint.getPort()
                    : ("https".equalsIgnoreCase(endpoint.getScheme()) ? 443 : 80);
            hostPorts.add(strip(endpoint.getHost()).toLowerCase(Locale.ROOT) + ":" + port);
        }
        for (String entry : allowUpstream) {
            String e = entry.trim().toLowerCase(Locale.ROOT);
            int colon = e.lastIndexOf(':');
            if (colon > 0 && e.indexOf(']') < colon && e.substring(colon + 1).chars().allMatch(Character::isDigit)) {
                hostPorts.add(strip(e.substring(0, colon)) + ":" + e.substring(colon + 1));
            } else {
                hosts.add(strip(e));
            }
        }
    }

    private static String strip(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    public boolean allows(UpstreamEndpoint ep) {
        String host = ep.host().toLowerCase(Locale.ROOT);
        if (host.endsWith(".amazonaws.com") || host.endsWith(".amazonaws.com.cn")) {
            return true;
        }
        return hosts.contains(host) || hostPorts.contains(host + ":" + ep.port());
    }
}
