package dev.bitsbridge.proxy.upstream;

import dev.bitsbridge.proxy.config.OutboundProxy;
import dev.bitsbridge.proxy.config.ProxyRoutes;
import java.io.IOException;
import java.net.Authenticator;
import java.net.InetSocketAddress;
import java.net.PasswordAuthentication;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.util.List;

/**
 * {@link ProxyRoutes} for the JDK's own HTTP clients (the URL vendor's {@code java.net.http}
 * client): a {@link ProxySelector} that decides exactly as the Netty path does, and an
 * {@link Authenticator} that answers only the proxy's 407 with the proxy's credentials.
 *
 * <p>Stateless apart from the routes; thread-safe.
 */
public final class JdkProxies {

    private JdkProxies() {
    }

    public static ProxySelector selector(ProxyRoutes routes) {
        return new ProxySelector() {
            @Override
            public List<Proxy> select(URI uri) {
                boolean secure = "https".equalsIgnoreCase(uri.getScheme());
                int port = uri.getPort() > 0 ? uri.getPort() : secure ? 443 : 80;
                String host = uri.getHost() == null ? "" : uri.getHost();
                OutboundProxy via = routes.route(secure, host, port);
                return List.of(via == null ? Proxy.NO_PROXY
                        : new Proxy(Proxy.Type.HTTP, InetSocketAddress.createUnresolved(via.host(), via.port())));
            }

            @Override
            public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {
                // nothing to fall back to
            }
        };
    }

    /** Null when no proxy has credentials. */
    public static Authenticator authenticator(ProxyRoutes routes) {
        if (!hasCredentials(routes.https()) && !hasCredentials(routes.http())) {
            return null;
        }
        return new Authenticator() {
            @Override
            protected PasswordAuthentication getPasswordAuthentication() {
                if (getRequestorType() != RequestorType.PROXY) {
                    return null;
                }
                for (OutboundProxy p : new OutboundProxy[] {routes.https(), routes.http()}) {
                    if (hasCredentials(p) && p.host().equalsIgnoreCase(getRequestingHost()) && p.port() == getRequestingPort()) {
                        return new PasswordAuthentication(p.user(), p.password().toCharArray());
                    }
                }
                return null;
            }
        };
    }

    private static boolean hasCredentials(OutboundProxy p) {
        return p != null && p.user() != null;
    }
}
