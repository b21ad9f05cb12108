package dev.bitsbridge.proxy.upstream;

/**
 * Where upstream requests go: scheme, host and port. Also the key of the upstream connection pool,
 * so two buckets on one endpoint (path-style) share connections.
 */
public record UpstreamEndpoint(boolean secure, String host, int port) {

    public String scheme() {
        return secure ? "https" : "http";
    }

    /** The Host header value: the port is omitted when it is the scheme's default. */
    public String hostHeader() {
        boolean defaultPort = secure ? port == 443 : port == 80;
        String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        return defaultPort ? h : h + ":" + port;
    }

    @Override
    public String toString() {
        return scheme() + "://" + hostHeader();
    }
}
