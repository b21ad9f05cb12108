package dev.bitsbridge.proxy.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How the proxy reaches its upstreams and how clients reach it, beyond address and port: the
 * forward proxies for upstream requests ({@code --upstream-proxy}, {@code HTTPS_PROXY} and
 * friends) and the TLS listener's certificate and key ({@code --tls-cert}, {@code --tls-key}).
 * Immutable; {@link #DEFAULTS} is direct connections and a plain-HTTP listener.
 *
 * @param upstreamProxy forward proxies for upstream requests ({@link ProxyRoutes#DIRECT}: none)
 * @param tlsCert PEM certificate chain of the listener, or null for plain HTTP
 * @param tlsKey PEM private key (PKCS#8, or PKCS#1/SEC1 where the TLS provider reads it) for {@code tlsCert}
 */
public record NetworkConfig(ProxyRoutes upstreamProxy, Path tlsCert, Path tlsKey) {

    public static final NetworkConfig DEFAULTS = new NetworkConfig(ProxyRoutes.DIRECT, null, null);

    public NetworkConfig {
        Objects.requireNonNull(upstreamProxy, "upstreamProxy");
    }

    public boolean tls() {
        return tlsCert != null;
    }

    public NetworkConfig withUpstreamProxy(ProxyRoutes v) {
        return new NetworkConfig(v, tlsCert, tlsKey);
    }

    public NetworkConfig withTls(Path cert, Path key) {
        return new NetworkConfig(upstreamProxy, cert, key);
    }
}
