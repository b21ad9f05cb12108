package dev.bitsbridge.proxy.upstream;

import dev.bitsbridge.proxy.config.OutboundProxy;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.proxy.HttpProxyHandler;
import io.netty.handler.proxy.ProxyHandler;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.Future;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * How an upstream connection goes through a forward proxy ({@code --upstream-proxy},
 * {@code HTTPS_PROXY}): an https upstream through a {@code CONNECT} tunnel (Netty's
 * {@link HttpProxyHandler}, first in the pipeline, TLS to the upstream inside it), a plain-HTTP
 * upstream with absolute-form requests ({@code GET http://host/key}) sent to the proxy, which is
 * what proxies expect for http and what a proxy that allows CONNECT only to port 443 accepts.
 * Proxy credentials travel only in {@code Proxy-Authorization}; messages name the proxy without them.
 *
 * <p>Stateless helpers; the handlers made are per connection.
 */
final class ForwardProxy {

    private ForwardProxy() {
    }

    /**
     * Where a connection for {@code endpoint} connects: the upstream itself, the proxy (absolute
     * form), or the upstream as an unresolved name that the CONNECT handler sends to the proxy.
     */
    static SocketAddress remoteAddress(UpstreamEndpoint endpoint, OutboundProxy via) {
        if (via != null && !endpoint.secure()) {
            return InetSocketAddress.createUnresolved(via.host(), via.port());
        }
        return InetSocketAddress.createUnresolved(endpoint.host(), endpoint.port());
    }

    /** The CONNECT handler; it resolves the proxy's name per connection (as a direct connect would). */
    static ProxyHandler connectHandler(OutboundProxy via, int connectTimeoutMillis) {
        InetSocketAddress proxy = new InetSocketAddress(via.host(), via.port());
        HttpProxyHandler h = via.user() == null ? new HttpProxyHandler(proxy)
                : new HttpProxyHandler(proxy, via.user(), via.password());
        h.setConnectTimeoutMillis(connectTimeoutMillis);
        return h;
    }

    /** The tunnel of a connection made through CONNECT, or null for a direct one. */
    static Future<Channel> tunnel(Channel ch) {
        ProxyHandler h = ch.pipeline().get(ProxyHandler.class);
        return h == null ? null : h.connectFuture();
    }

    /** Rewrites {@code request} for a plain-HTTP upstream reached through {@code via}. */
    static void absoluteForm(HttpRequest request, UpstreamEndpoint endpoint, OutboundProxy via) {
        request.setUri(endpoint.scheme() + "://" + endpoint.hostHeader() + request.uri());
        String auth = via.authorization();
        if (auth != null) {
            request.headers().set(HttpHeaderNames.PROXY_AUTHORIZATION, auth);
        }
    }

    /**
     * The address check for a request through a proxy: only an IP-literal host can be checked (the
     * proxy resolves names); null when allowed or a name.
     */
    static String literalRefusal(UpstreamEndpoint endpoint, AddressCheck check) {
        byte[] literal = NetUtil.createByteArrayFromIpAddressString(endpoint.host());
        if (literal == null) {
            return null;
        }
        try {
            return check.refusal(endpoint, InetAddress.getByAddress(endpoint.host(), literal));
        } catch (java.net.UnknownHostException e) {
            return "bad address " + endpoint.host();
        }
    }

    /** One line for a tunnel that failed: which proxy, which upstream, and the proxy's answer. */
    static String describeFailure(OutboundProxy via, UpstreamEndpoint endpoint, Throwable cause) {
        String why;
        if (cause instanceof HttpProxyHandler.HttpProxyConnectException e) {
            String m = String.valueOf(e.getMessage());
            int status = m.indexOf("status: ");
            why = status >= 0 ? "it answered " + m.substring(status + 8)
                    + (m.contains("407") ? " (check the user and password in the proxy URL)" : "") : m;
        } else if (cause instanceof io.netty.handler.proxy.ProxyConnectException e
                && String.valueOf(e.getMessage()).contains("timeout")) {
            why = "it did not answer the CONNECT in time";
        } else {
            Throwable root = cause;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            why = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        }
        return "cannot connect to " + endpoint + " through the proxy " + via.display() + ": " + why;
    }
}
