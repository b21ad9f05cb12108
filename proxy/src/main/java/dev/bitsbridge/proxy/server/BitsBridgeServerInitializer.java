package dev.bitsbridge.proxy.server;

import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.observe.TransferTracker;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/**
 * The only place the client pipeline is assembled. In order:
 * <ol>
 *   <li>{@code limit}: connection cap;</li>
 *   <li>{@code tls}: with {@code --tls-cert}, TLS with the certificate loaded last ({@link TlsListener});</li>
 *   <li>{@code idle}: closes connections with no traffic either way for {@code --idle-timeout};</li>
 *   <li>{@code slow-request}: request heads must arrive within {@code --request-header-timeout};</li>
 *   <li>{@code decoder}/{@code encoder}: HTTP/1.1, with header and line limits;</li>
 *   <li>{@code date}: the Date header on every response;</li>
 *   <li>{@code flow}: one message per {@code read()} (autoRead is off);</li>
 *   <li>{@code access-log}, {@code observe} (active transfers, request metrics),
 *       {@code security-headers} (nosniff and a sandbox CSP on every response), {@code cors},
 *       {@code guard}, {@code expect} (100-continue when the body is wanted, 417 for other
 *       expectations), then {@code proxy}, which serves.</li>
 * </ol>
 */
final class BitsBridgeServerInitializer extends ChannelInitializer<SocketChannel> {

    private static final DateHeaderHandler DATE = new DateHeaderHandler();
    private static final SecurityHeadersHandler SECURITY_HEADERS = new SecurityHeadersHandler();

    private final ProxyConfig config;
    private final ServerContext server;
    private final ConnectionLimitHandler limit;
    private final RequestGuardHandler guard;
    private final HostPolicy policy;
    /** Null for a plain-HTTP listener. */
    private final TlsListener tls;

    BitsBridgeServerInitializer(ProxyConfig config, ServerContext server, HostPolicy policy, TlsListener tls) {
        this.tls = tls;
        this.config = config;
        this.server = server;
        this.policy = policy;
        this.limit = new ConnectionLimitHandler(config.maxConnections(),
                config.security().maxConnectionsPerClient());
        this.guard = new RequestGuardHandler(policy);
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ChannelPipeline p = ch.pipeline();
        p.addLast("limit", limit);
        if (tls != null) {
            // The context current when the connection arrives: a reloaded certificate serves new connections.
            p.addLast("tls", tls.context().newHandler(ch.alloc()));
        }
        p.addLast("idle", new IdleCloseHandler(config.idleTimeout().toMillis()));
        p.addLast("slow-request", new SlowRequestHandler(config.requestHeaderTimeout().toNanos(),
                config.security().bodyWindow().toNanos(), config.security().bodyMinBytes()));
        p.addLast("decoder", new StrictRequestDecoder(config.maxInitialLineLength(), config.maxHeaderSize()));
        p.addLast("encoder", new HttpResponseEncoder());
        p.addLast("date", DATE);
        p.addLast("flow", new FlowControlHandler());
        p.addLast("access-log", new AccessLogHandler());
        p.addLast("observe", new TransferTracker(server.transfers(), server.events()));
        p.addLast("security-headers", SECURITY_HEADERS);
        p.addLast("cors", new CorsHandler(policy));
        p.addLast("guard", guard);
        p.addLast("expect", new ExpectContinueHandler());
        p.addLast("proxy", new ProxyRequestHandler(server));
    }

    /** Closes a connection after a period with neither reads nor writes. */
    static final class IdleCloseHandler extends IdleStateHandler {
        IdleCloseHandler(long millis) {
            super(0, 0, millis, TimeUnit.MILLISECONDS);
        }

        @Override
        protected void channelIdle(io.netty.channel.ChannelHandlerContext ctx, io.netty.handler.timeout.IdleStateEvent evt) {
            ctx.close();
        }
    }
}
