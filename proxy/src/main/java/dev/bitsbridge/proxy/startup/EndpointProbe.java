package dev.bitsbridge.proxy.startup;

import dev.bitsbridge.proxy.config.OutboundProxy;
import dev.bitsbridge.proxy.upstream.UpstreamEndpoint;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * Reaches the S3 endpoint step by step, so a failure says which step: the name (DNS), the port
 * (TCP), and for https the certificate (TLS, with the trust the proxy uses: the JDK's CAs plus
 * {@code --ca-bundle}). Through a forward proxy: the proxy's name and port, then a CONNECT, then
 * TLS inside the tunnel; a plain-HTTP endpoint behind a proxy is checked up to the proxy (the
 * bucket check then goes through it).
 *
 * <p>Blocking, on the caller's thread; each step bounded by the timeout given. Plain JDK sockets:
 * the point is to name the failing step, which the pooled Netty path folds into one error.
 */
final class EndpointProbe {

    static final String NAME = "endpoint";

    private final Duration timeout;
    private final TrustManagerFactory trust;

    /** @param trust null for the JDK's default trust */
    EndpointProbe(Duration timeout, TrustManagerFactory trust) {
        this.timeout = timeout;
        this.trust = trust;
    }

    CheckResult probe(UpstreamEndpoint ep, OutboundProxy via) {
        String target = ep.host() + ":" + ep.port();
        String connectHost = via == null ? ep.host() : via.host();
        int connectPort = via == null ? ep.port() : via.port();
        String what = via == null ? target : "the upstream proxy " + via.display();
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(connectHost);
        } catch (UnknownHostException e) {
            return CheckResult.fail(NAME, "unknown host " + connectHost + (via == null
                    ? ": check --endpoint and --region, and this machine's DNS (behind a proxy, set --upstream-proxy"
                            + " or HTTPS_PROXY)"
                    : " (the upstream proxy): check --upstream-proxy / HTTPS_PROXY"));
        }
        Socket socket = new Socket();
        try {
            try {
                socket.connect(new InetSocketAddress(addresses[0], connectPort), millis());
                socket.setSoTimeout(millis());
            } catch (ConnectException | NoRouteToHostException e) {
                return CheckResult.fail(NAME, "cannot connect to " + what + " (" + addresses[0].getHostAddress() + ":"
                        + connectPort + "): " + reason(e) + "; is it running, and is the port right?");
            } catch (SocketTimeoutException e) {
                return CheckResult.fail(NAME, "no answer from " + what + " within " + timeout.toSeconds()
                        + "s: a firewall may drop the connection" + (via == null
                                ? "; if this network needs a proxy, set --upstream-proxy or HTTPS_PROXY" : ""));
            }
            if (via != null && ep.secure()) {
                String refused = connect(socket, ep, via);
                if (refused != null) {
                    return CheckResult.fail(NAME, refused);
                }
            }
            if (!ep.secure()) {
                return CheckResult.ok(NAME, ep + (via == null ? " (plain HTTP; name and port reachable)"
                        : " through " + via.display() + " (the proxy answers; the bucket check goes through it)"));
            }
            return tls(socket, ep, via);
        } catch (IOException e) {
            return CheckResult.fail(NAME, "cannot reach " + what + ": " + reason(e));
        } finally {
            try {
                socket.close();
            } catch (IOException ignored) {
                // nothing to do
            }
        }
    }

    /** Opens a CONNECT tunnel on {@code socket}; null when the proxy said 2xx, else the failure line. */
    private String connect(Socket socket, UpstreamEndpoint ep, OutboundProxy via) throws IOException {
        String hostPort = (ep.host().indexOf(':') >= 0 ? "[" + ep.host() + "]" : ep.host()) + ":" + ep.port();
        StringBuilder req = new StringBuilder("CONNECT ").append(hostPort).append(" HTTP/1.1\r\nHost: ")
                .append(hostPort).append("\r\n");
        if (via.authorization() != null) {
            req.append("Proxy-Authorization: ").append(via.authorization()).append("\r\n");
        }
        req.append("\r\n");
        OutputStream out = socket.getOutputStream();
        out.write(req.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        String status = readHead(socket.getInputStream());
        String[] parts = status.split(" ", 3);
        if (parts.length >= 2 && parts[1].startsWith("2")) {
            return null;
        }
        return "the upstream proxy " + via.display() + " refused CONNECT to " + hostPort + ": "
                + (status.isEmpty() ? "it closed the connection" : status.substring(Math.min(status.length(),
                        parts[0].length() + 1)))
                + (parts.length >= 2 && parts[1].equals("407") ? " (check the user and password in the proxy URL)" : "");
    }

    /** Reads a response head and returns its status line. */
    private static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && head.length() < 16 * 1024) {
            head.append((char) c);
            if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) {
                break;
            }
        }
        int eol = head.indexOf("\r\n");
        return eol < 0 ? head.toString().trim() : head.substring(0, eol);
    }

    private CheckResult tls(Socket socket, UpstreamEndpoint ep, OutboundProxy via) throws IOException {
        Recording recording;
        SSLSocket ssl;
        try {
            TrustManagerFactory tmf = trust;
            if (tmf == null) {
                tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init((java.security.KeyStore) null);
            }
            recording = new Recording(x509(tmf));
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {recording}, null);
            ssl = (SSLSocket) ctx.getSocketFactory().createSocket(socket, ep.host(), ep.port(), false);
        } catch (java.security.GeneralSecurityException e) {
            return CheckResult.fail(NAME, "TLS cannot be set up: " + reason(e));
        }
        SSLParameters params = ssl.getSSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS");
        ssl.setSSLParameters(params);
        try {
            ssl.startHandshake();
        } catch (SSLException e) {
            return CheckResult.fail(NAME, tlsFailure(ep, e, recording));
        }
        X509Certificate leaf = recording.leaf;
        return CheckResult.ok(NAME, ep + (via != null ? " through " + via.display() : "")
                + ": TLS " + ssl.getSession().getProtocol() + ", certificate trusted"
                + (leaf != null ? " (issued by " + cn(leaf.getIssuerX500Principal().getName()) + ")" : ""));
    }

    private static String tlsFailure(UpstreamEndpoint ep, SSLException e, Recording recording) {
        String all = chain(e);
        String issuer = recording.leaf == null ? null : cn(recording.leaf.getIssuerX500Principal().getName());
        if (all.contains("No subject alternative") || all.contains("No name matching")) {
            return "the certificate of " + ep.host() + " does not name that host (" + firstLine(rootMessage(e))
                    + "): check --endpoint";
        }
        if (all.contains("PKIX") || all.contains("certification path") || all.contains("unable to find valid")
                || all.contains("not trusted") || all.contains("self signed") || all.contains("self-signed")) {
            return "the certificate of " + ep.host() + " is not trusted" + (issuer != null ? " (issued by " + issuer
                    + ")" : "") + ": if the endpoint uses a private CA or this network inspects TLS, give that CA"
                    + " with --ca-bundle FILE (PEM)";
        }
        if (all.contains("expired") || all.contains("NotAfter")) {
            return "the certificate of " + ep.host() + " has expired: " + firstLine(rootMessage(e));
        }
        return "TLS with " + ep + " failed: " + firstLine(rootMessage(e))
                + " (is it an https endpoint? for plain HTTP write http:// in --endpoint)";
    }

    /** Trusts as the delegate does, remembering the certificate shown so a failure can name its issuer. */
    private static final class Recording implements X509TrustManager {
        private final X509TrustManager delegate;
        X509Certificate leaf;

        Recording(X509TrustManager delegate) {
            this.delegate = delegate;
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            delegate.checkClientTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            leaf = chain.length > 0 ? chain[0] : null;
            delegate.checkServerTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return delegate.getAcceptedIssuers();
        }
    }

    private static X509TrustManager x509(TrustManagerFactory tmf) {
        for (TrustManager tm : tmf.getTrustManagers()) {
            if (tm instanceof X509TrustManager x) {
                return x;
            }
        }
        throw new IllegalStateException("no X.509 trust manager");
    }

    private static String cn(String dn) {
        for (String part : dn.split(",")) {
            if (part.trim().startsWith("CN=")) {
                return part.trim().substring(3);
            }
        }
        return dn;
    }

    private int millis() {
        return (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
    }

    private static String chain(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            sb.append(c.getClass().getSimpleName()).append(": ").append(c.getMessage()).append(" | ");
        }
        return sb.toString();
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }

    static String reason(Throwable e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : firstLine(m).toLowerCase(java.util.Locale.ROOT);
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }
}
