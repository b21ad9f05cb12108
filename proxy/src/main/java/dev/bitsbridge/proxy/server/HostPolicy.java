package dev.bitsbridge.proxy.server;

import java.net.URI;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Who may talk to the proxy, decided from the Host and Origin headers (DNS-rebinding and
 * cross-site defences).
 *
 * <p>Host: IP literals (a rebinding attack needs a name it controls), {@code localhost}, the bound
 * address and the names given with {@code --public-host}. Origin: absent (not a browser, or a
 * same-origin navigation), the proxy's own origin, or one listed with {@code --cors-origin}.
 *
 * <p>Thread-safe: its names are fixed; it remembers the last Host value it allowed (volatile), so
 * the keep-alive requests of a client are not parsed again.
 */
public final class HostPolicy {

    private final Set<String> names = new HashSet<>();
    private final Set<String> origins = new HashSet<>();

    public HostPolicy(String bindAddress, List<String> publicHosts, List<String> corsOrigins) {
        names.add("localhost");
        names.add(bindAddress.toLowerCase(Locale.ROOT));
        for (String h : publicHosts) {
            names.add(h.toLowerCase(Locale.ROOT));
        }
        for (String o : corsOrigins) {
            origins.add(normaliseOrigin(o));
        }
    }

    /**
     * Whether a Host header value is well-formed (RFC 9110 §7.2, RFC 3986 §3.2.2): a reg-name, an
     * IPv4 address or a bracketed IPv6 address, then an optional port of digits; nothing else.
     * {@code [::1]evil.example} is not a Host (issue #15, finding 10): 400, not a lenient parse.
     */
    public static boolean wellFormed(String hostHeader) {
        if (hostHeader == null) {
            return false;
        }
        // A client sends the same Host on every request: the last value that matched is not matched again.
        if (hostHeader.equals(lastWellFormed)) {
            return true;
        }
        boolean ok = HOST_GRAMMAR.matcher(hostHeader).matches();
        if (ok) {
            lastWellFormed = hostHeader;
        }
        return ok;
    }

    private static volatile String lastWellFormed;

    private static final java.util.regex.Pattern HOST_GRAMMAR = java.util.regex.Pattern.compile(
            "^(?:\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?)*\\.?)"
            + "(?::[0-9]{1,5})?$");

    /** Whether a Host header value names this proxy. */
    public boolean hostAllowed(String hostHeader) {
        if (hostHeader != null && hostHeader.equals(lastAllowed)) {
            return true; // the same value as the last request's: the same answer (names are fixed)
        }
        if (!wellFormed(hostHeader)) {
            return false;
        }
        String host = hostName(hostHeader);
        boolean ok = host != null && (names.contains(host) || isIpLiteral(host));
        if (ok) {
            lastAllowed = hostHeader;
        }
        return ok;
    }

    /** The last Host value allowed; any thread (a racy write only costs a check). */
    private volatile String lastAllowed;

    /** Whether a request carrying this Origin may be served. */
    public boolean originAllowed(String origin, String hostHeader) {
        return originAllowed(origin, hostHeader, false);
    }

    /**
     * Whether a request carrying this Origin may be served; for the proxy's own endpoints
     * ({@code ownEndpoint}) only the proxy's own origin is, whatever {@code --cors-origin} lists.
     */
    public boolean originAllowed(String origin, String hostHeader, boolean ownEndpoint) {
        if (origin == null) {
            return true;
        }
        String o = normaliseOrigin(origin);
        if (!ownEndpoint && (origins.contains(o) || origins.contains("*"))) {
            return true;
        }
        // The proxy's own pages (status page) send their own origin on some requests.
        return hostHeader != null && (o.equals(normaliseOrigin("http://" + hostHeader))
                || o.equals(normaliseOrigin("https://" + hostHeader)));
    }

    /** Whether this origin was listed with --cors-origin (so CORS headers are sent back). */
    public boolean corsListed(String origin) {
        return origin != null && (origins.contains(normaliseOrigin(origin)) || origins.contains("*"));
    }

    static String hostName(String hostHeader) {
        if (hostHeader == null || hostHeader.isEmpty()) {
            return null;
        }
        String h = hostHeader.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end < 0 ? null : h.substring(1, end);
        }
        int colon = h.indexOf(':');
        if (colon >= 0) {
            String port = h.substring(colon + 1);
            if (port.isEmpty() || !port.chars().allMatch(HostPolicy::asciiDigit)) {
                return null;
            }
            h = h.substring(0, colon);
        }
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        return h;
    }

    static boolean isIpLiteral(String host) {
        if (host.indexOf(':') >= 0) {
            return host.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.');
        }
        String[] parts = host.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(HostPolicy::asciiDigit) || Integer.parseInt(p) > 255) {
                return false;
            }
        }
        return true;
    }

    private static boolean asciiDigit(int c) {
        return c >= '0' && c <= '9';
    }

    private static String normaliseOrigin(String origin) {
        String o = origin.trim().toLowerCase(Locale.ROOT);
        if (o.equals("*") || o.equals("null")) {
            return o;
        }
        try {
            URI u = URI.create(o);
            if (u.getScheme() == null || u.getHost() == null) {
                return o;
            }
            int port = u.getPort();
            boolean defaultPort = port < 0 || (u.getScheme().equals("http") && port == 80)
                    || (u.getScheme().equals("https") && port == 443);
            return u.getScheme() + "://" + u.getHost() + (defaultPort ? "" : ":" + port);
        } catch (IllegalArgumentException e) {
            return o;
        }
    }
}
