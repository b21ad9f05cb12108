package dev.bitsbridge.proxy.links;

import dev.bitsbridge.proxy.upstream.AddressCheck;
import dev.bitsbridge.proxy.upstream.UpstreamEndpoint;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Where the proxy may fetch from when a caller hands it a URL (a registered link, a vendor's
 * answer). Two checks, both needed (issue #15, finding 2):
 *
 * <ol>
 *   <li>{@link #allows}, on the URL: S3 host names only by default ({@code s3.amazonaws.com},
 *       {@code s3.<region>.amazonaws.com}, {@code <bucket>.s3...}, {@code s3-accelerate},
 *       dual-stack, FIPS, access points, {@code .amazonaws.com.cn}), over https on port 443. Not
 *       every {@code *.amazonaws.com}: OpenSearch ({@code vpc-*.es}), RDS, internal load balancers
 *       and VPC endpoints live there too and resolve to private addresses. Plus {@code --endpoint}
 *       (its scheme and port) and {@code --allow-upstream} entries: {@code HOST[:PORT]} (either
 *       scheme; without a port 443 for https, 80 for http) or {@code http(s)://HOST[:PORT]}.</li>
 *   <li>{@link #refusal}, on the address the name resolved to, at connect time (an
 *       {@link AddressCheck}): loopback, private (RFC 1918, CGNAT), link-local (so instance
 *       metadata 169.254.169.254), IPv6 unique-local (so {@code fd00:ec2::254}), unspecified and
 *       multicast addresses are refused, unless the endpoint is {@code --endpoint}, an
 *       {@code --allow-upstream} entry that is itself an IP literal (the operator named the
 *       address), or {@code --allow-private-upstream} is on.</li>
 * </ol>
 *
 * <p>Immutable and thread-safe.
 */
public final class UpstreamAllowlist implements AddressCheck {

    private static final String REGION = "(?:[a-z]{2}(?:-[a-z]+)+-\\d+|external-1)";
    /** S3's own host names in every partition; bucket names may contain dots, so any prefix. */
    private static final Pattern S3_HOST = Pattern.compile("^(?:[a-z0-9][a-z0-9.-]*\\.)?"
            + "(?:s3|s3-fips|s3-accelerate|s3-accesspoint|s3-accesspoint-fips|s3-object-lambda)"
            + "(?:\\.dualstack)?(?:[.-]" + REGION + ")?\\.amazonaws\\.com(?:\\.cn)?$");

    /** One allowed upstream: scheme null for either; port -1 for the scheme's default. */
    private record Entry(String scheme, String host, int port, boolean anyAddress) {
        boolean matches(UpstreamEndpoint ep, String host) {
            if (!this.host.equals(host)) {
                return false;
            }
            if (scheme != null && !scheme.equals(ep.scheme())) {
                return false;
            }
            int p = port > 0 ? port : (ep.secure() ? 443 : 80);
            return ep.port() == p;
        }
    }

    private final List<Entry> entries = new ArrayList<>();
    private final boolean allowPrivate;

    public UpstreamAllowlist(URI endpoint, List<String> allowUpstream) {
        this(endpoint, allowUpstream, false);
    }

    /** @param allowPrivate {@code --allow-private-upstream}: any resolved address is accepted */
    public UpstreamAllowlist(URI endpoint, List<String> allowUpstream, boolean allowPrivate) {
        this.allowPrivate = allowPrivate;
        if (endpoint != null && endpoint.getHost() != null) {
            String scheme = endpoint.getScheme() == null ? "https" : endpoint.getScheme().toLowerCase(Locale.ROOT);
            int port = endpoint.getPort() > 0 ? endpoint.getPort() : ("https".equals(scheme) ? 443 : 80);
            entries.add(new Entry(scheme, host(endpoint.getHost()), port, true));
        }
        for (String raw : allowUpstream) {
            entries.add(parse(raw));
        }
    }

    private static Entry parse(String raw) {
        String e = raw.trim().toLowerCase(Locale.ROOT);
        String scheme = null;
        if (e.startsWith("http://") || e.startsWith("https://")) {
            URI u = URI.create(e);
            if (u.getHost() == null) {
                throw new IllegalArgumentException("--allow-upstream " + raw + " names no host");
            }
            String h = host(u.getHost());
            return new Entry(u.getScheme(), h, u.getPort(), isIpLiteral(h));
        }
        int colon = e.lastIndexOf(':');
        if (colon > 0 && e.indexOf(']') < colon && e.substring(colon + 1).chars().allMatch(Character::isDigit)
                && !e.substring(colon + 1).isEmpty()) {
            String h = host(e.substring(0, colon));
            return new Entry(scheme, h, Integer.parseInt(e.substring(colon + 1)), isIpLiteral(h));
        }
        String h = host(e);
        return new Entry(scheme, h, -1, isIpLiteral(h));
    }

    private static String host(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    /** Whether a URL naming this endpoint may be registered or followed at all. */
    public boolean allows(UpstreamEndpoint ep) {
        String host = host(ep.host());
        for (Entry e : entries) {
            if (e.matches(ep, host)) {
                return true;
            }
        }
        return ep.secure() && ep.port() == 443 && S3_HOST.matcher(host).matches();
    }

    /** Why a URL is refused, for the 400 at registration; null when {@link #allows} is true. */
    public String why(UpstreamEndpoint ep) {
        if (allows(ep)) {
            return null;
        }
        String host = host(ep.host());
        if (S3_HOST.matcher(host).matches()) {
            return "upstream " + ep + " is not allowed: S3 hosts are reached over https on port 443"
                    + " (add --allow-upstream " + ep.scheme() + "://" + ep.hostHeader() + " to allow it)";
        }
        return "upstream host " + ep.hostHeader() + " is not allowed (S3 host names over https, --endpoint and"
                + " --allow-upstream hosts are)";
    }

    @Override
    public String refusal(UpstreamEndpoint ep, InetAddress address) {
        if (allowPrivate || !restricted(address)) {
            return null;
        }
        String host = host(ep.host());
        for (Entry e : entries) {
            if (e.anyAddress() && e.matches(ep, host)) {
                return null;
            }
        }
        return "upstream " + ep.hostHeader() + " resolves to " + address.getHostAddress()
                + ", a loopback, private or link-local address; refused (--allow-private-upstream allows it)";
    }

    /** Addresses a URL handed in must not reach: this machine, the local networks, cloud metadata. */
    static boolean restricted(InetAddress a) {
        if (a.isLoopbackAddress() || a.isAnyLocalAddress() || a.isLinkLocalAddress() || a.isSiteLocalAddress()
                || a.isMulticastAddress()) {
            return true;
        }
        byte[] b = a.getAddress();
        if (a instanceof Inet4Address) {
            int b0 = b[0] & 0xff;
            int b1 = b[1] & 0xff;
            return b0 == 0 || (b0 == 100 && b1 >= 64 && b1 < 128) // "this network", CGNAT (RFC 6598)
                    || (b0 == 192 && b1 == 0 && (b[2] & 0xff) == 0) // IETF protocol assignments
                    || (b0 == 198 && (b1 == 18 || b1 == 19)) // benchmarking
                    || b0 >= 240; // reserved, broadcast
        }
        if (a instanceof Inet6Address) {
            int b0 = b[0] & 0xff;
            if ((b0 & 0xfe) == 0xfc) { // fc00::/7 unique local, including fd00:ec2::254
                return true;
            }
            boolean v4mapped = true;
            for (int i = 0; i < 10; i++) {
                v4mapped &= b[i] == 0;
            }
            if (v4mapped && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
                try {
                    return restricted(InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]}));
                } catch (java.net.UnknownHostException e) {
                    return true;
                }
            }
        }
        return false;
    }

    static boolean isIpLiteral(String host) {
        return host.indexOf(':') >= 0 || host.matches("\\d{1,3}(\\.\\d{1,3}){3}");
    }
}
