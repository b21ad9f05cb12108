package dev.bitsbridge.proxy.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;

/**
 * A forward proxy upstream requests go through: {@code http://[user:pass@]host:port}. HTTPS
 * upstreams are reached through a {@code CONNECT} tunnel, plain-HTTP ones with absolute-form
 * requests. The credentials are only ever sent in {@code Proxy-Authorization}; {@link #toString()}
 * and {@link #display()} leave them out, so a proxy can be logged as it is.
 *
 * <p>Immutable; parsing does no I/O (the name is not resolved here).
 */
public final class OutboundProxy {

    private final String host;
    private final int port;
    private final String user;
    private final String password;

    private OutboundProxy(String host, int port, String user, String password) {
        this.host = host;
        this.port = port;
        this.user = user;
        this.password = password;
    }

    /**
     * Parses {@code http://[user:pass@]host[:port]} (the port defaults to 80; {@code host:port}
     * without a scheme is read as http, as curl and the AWS CLI read HTTPS_PROXY). User and password
     * may be percent-encoded.
     *
     * @param what names the option or variable in the message of a bad value
     * @throws ConfigException naming {@code what}, never echoing the value (it may hold a password)
     */
    public static OutboundProxy parse(String value, String what) {
        String v = value.trim();
        if (!v.contains("://")) {
            v = "http://" + v;
        }
        URI u;
        try {
            u = new URI(v);
        } catch (URISyntaxException e) {
            throw new ConfigException(what + " is not a URL like http://host:port (or http://user:pass@host:port)");
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http")) {
            throw new ConfigException(what + " must be an http:// proxy URL (the proxy itself is spoken to in"
                    + " plain HTTP; https upstreams go through CONNECT), not " + scheme + "://");
        }
        if (u.getHost() == null || u.getHost().isEmpty()) {
            throw new ConfigException(what + " has no host: use http://host:port");
        }
        if (u.getRawPath() != null && !u.getRawPath().isEmpty() && !u.getRawPath().equals("/")) {
            throw new ConfigException(what + " must not have a path: use http://host:port");
        }
        String user = null;
        String password = null;
        if (u.getRawUserInfo() != null) {
            String info = u.getRawUserInfo();
            int colon = info.indexOf(':');
            user = decode(colon < 0 ? info : info.substring(0, colon));
            password = colon < 0 ? "" : decode(info.substring(colon + 1));
        }
        String host = u.getHost();
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new OutboundProxy(host, u.getPort() < 0 ? 80 : u.getPort(), user, password);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    /** Null when the proxy needs no credentials. */
    public String user() {
        return user;
    }

    /** Null when the proxy needs no credentials. */
    public String password() {
        return password;
    }

    /** The {@code Proxy-Authorization} value (Basic), or null without credentials. Never log it. */
    public String authorization() {
        if (user == null) {
            return null;
        }
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** The proxy as {@code http://host:port}, with no credentials: safe for logs and messages. */
    public String display() {
        return "http://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port
                + (user != null ? " (with credentials)" : "");
    }

    /** The proxy's URI without credentials (for clients that take credentials separately). */
    public URI uri() {
        return URI.create("http://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port);
    }

    @Override
    public String toString() {
        return display();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OutboundProxy p && p.host.equals(host) && p.port == port
                && java.util.Objects.equals(p.user, user) && java.util.Objects.equals(p.password, password);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(host, port, user);
    }
}
