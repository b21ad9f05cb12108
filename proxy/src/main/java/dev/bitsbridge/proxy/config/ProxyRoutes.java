package dev.bitsbridge.proxy.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Which forward proxy, if any, an upstream request goes through: the {@code https} proxy for
 * https upstreams, the {@code http} one for plain-HTTP upstreams, none for a host {@code NO_PROXY}
 * names. {@code NO_PROXY} is read the way curl reads it: comma-separated entries, each a host name
 * that matches itself and its subdomains ({@code example.com} and {@code .example.com} both match
 * {@code s3.example.com}), an IP literal, optionally {@code :port}; {@code *} alone turns the
 * proxy off. CIDR ranges are not supported (an entry like {@code 10.0.0.0/8} matches nothing).
 *
 * <p>Immutable and stateless: a plain decision, unit-tested without sockets.
 */
public record ProxyRoutes(OutboundProxy https, OutboundProxy http, List<String> noProxy) {

    /** No proxy at all. */
    public static final ProxyRoutes DIRECT = new ProxyRoutes(null, null, List.of());

    public ProxyRoutes {
        noProxy = noProxy == null ? List.of() : List.copyOf(noProxy);
    }

    /** One proxy for both schemes ({@code --upstream-proxy}). */
    public static ProxyRoutes of(OutboundProxy proxy, List<String> noProxy) {
        return new ProxyRoutes(proxy, proxy, noProxy);
    }

    /**
     * The routes the environment describes: {@code HTTPS_PROXY}, {@code HTTP_PROXY} and
     * {@code NO_PROXY}, each also in lower case (the lower-case one wins when both are set, as
     * curl does). An {@code ALL_PROXY} is not read.
     *
     * @throws ConfigException naming the variable when a proxy URL is malformed
     */
    public static ProxyRoutes fromEnvironment(Map<String, String> env) {
        OutboundProxy https = proxyVar(env, "https_proxy");
        OutboundProxy http = proxyVar(env, "http_proxy");
        String no = var(env, "no_proxy");
        return new ProxyRoutes(https, http, no == null ? List.of() : split(no));
    }

    /**
     * The routes of {@code --upstream-proxy} and {@code --no-proxy} where given, else of the
     * environment ({@link #fromEnvironment}): an explicit proxy serves both schemes, an explicit
     * no-proxy list replaces NO_PROXY.
     *
     * @param proxy null or blank: HTTPS_PROXY and HTTP_PROXY
     * @param noProxy null: NO_PROXY
     */
    public static ProxyRoutes choose(String proxy, List<String> noProxy, Map<String, String> env) {
        ProxyRoutes fromEnv = fromEnvironment(env);
        List<String> bypass = noProxy != null ? noProxy : fromEnv.noProxy();
        if (proxy != null && !proxy.isBlank()) {
            return of(OutboundProxy.parse(proxy, "--upstream-proxy"), bypass);
        }
        return new ProxyRoutes(fromEnv.https(), fromEnv.http(), bypass);
    }

    /** Splits a comma-separated NO_PROXY value (spaces allowed around entries). */
    public static List<String> split(String noProxy) {
        List<String> out = new ArrayList<>();
        for (String s : noProxy.split(",")) {
            if (!s.isBlank()) {
                out.add(s.trim());
            }
        }
        return out;
    }

    private static OutboundProxy proxyVar(Map<String, String> env, String lower) {
        String name = env.get(lower) != null && !env.get(lower).isBlank() ? lower : lower.toUpperCase(Locale.ROOT);
        String v = env.get(name);
        return v == null || v.isBlank() ? null : OutboundProxy.parse(v, name);
    }

    private static String var(Map<String, String> env, String lower) {
        String v = env.get(lower);
        if (v == null || v.isBlank()) {
            v = env.get(lower.toUpperCase(Locale.ROOT));
        }
        return v == null || v.isBlank() ? null : v;
    }

    /** Whether any proxy is configured. */
    public boolean enabled() {
        return https != null || http != null;
    }

    /** The proxy for {@code host:port} over {@code secure} (https) or plain HTTP; null: go direct. */
    public OutboundProxy route(boolean secure, String host, int port) {
        OutboundProxy p = secure ? https : http;
        if (p == null || bypassed(host, port)) {
            return null;
        }
        return p;
    }

    /** Whether NO_PROXY names {@code host} (and {@code port}, if the entry has one). */
    public boolean bypassed(String host, int port) {
        String h = strip(host.toLowerCase(Locale.ROOT));
        for (String entry : noProxy) {
            String e = entry.toLowerCase(Locale.ROOT);
            if (e.equals("*")) {
                return true;
            }
            int entryPort = -1;
            int colon = e.lastIndexOf(':');
            // host:port, or [v6]:port; a bare IPv6 literal has several colons and no port
            if (colon > 0 && (e.startsWith("[") ? e.indexOf(']') == colon - 1 : e.indexOf(':') == colon)) {
                try {
                    entryPort = Integer.parseInt(e.substring(colon + 1));
                    e = e.substring(0, colon);
                } catch (NumberFormatException ignored) {
                    // not a port
                }
            }
            e = strip(e);
            if (entryPort >= 0 && entryPort != port) {
                continue;
            }
            if (e.startsWith("*.")) {
                e = e.substring(1);
            }
            if (e.startsWith(".")) {
                e = e.substring(1);
            }
            if (e.isEmpty()) {
                continue;
            }
            if (h.equals(e) || h.endsWith("." + e)) {
                return true;
            }
        }
        return false;
    }

    private static String strip(String h) {
        if (h.startsWith("[") && h.endsWith("]")) {
            return h.substring(1, h.length() - 1);
        }
        return h;
    }
}
