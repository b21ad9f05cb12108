package dev.bitsbridge.proxy.http;

import java.util.List;
import java.util.Locale;
import java.util.function.IntSupplier;

/**
 * The base of the URLs the proxy hands out (links, share links, BITS upload reply URLs). Without
 * {@code --public-host} it is the Host the client used. With it, a URL is only ever built from a
 * configured name: the Host as given when it names one of them (so a port or name a reverse proxy
 * put there is kept), else the first configured name on the listening port, so a link minted from
 * {@code localhost} still works for the other machines it is meant for. Immutable; thread-safe.
 */
public final class PublicBase {

    private final List<String> publicHosts;
    private final IntSupplier port;
    private final boolean secure;

    public PublicBase(List<String> publicHosts, IntSupplier port) {
        this(publicHosts, port, false);
    }

    /** @param secure the listener speaks TLS ({@code --tls-cert}): URLs are {@code https://} */
    public PublicBase(List<String> publicHosts, IntSupplier port, boolean secure) {
        this.publicHosts = publicHosts.stream().map(h -> h.toLowerCase(Locale.ROOT)).toList();
        this.port = port;
        this.secure = secure;
    }

    /** {@code http(s)://host[:port]} for a request whose Host header is {@code host} (may be null). */
    public String of(String host) {
        String scheme = secure ? "https://" : "http://";
        String h = host == null || host.isEmpty() ? "127.0.0.1" : host;
        if (publicHosts.isEmpty() || publicHosts.contains(name(h).toLowerCase(Locale.ROOT))) {
            return scheme + h;
        }
        int p = port.getAsInt();
        return scheme + publicHosts.get(0) + (p == (secure ? 443 : 80) ? "" : ":" + p);
    }

    /** The Host header's name without its port ({@code [::1]:8080} -> {@code [::1]}). */
    static String name(String host) {
        if (host.startsWith("[")) {
            int close = host.indexOf(']');
            return close < 0 ? host : host.substring(0, close + 1);
        }
        int colon = host.lastIndexOf(':');
        return colon < 0 ? host : host.substring(0, colon);
    }
}
