package dev.bitsbridge.proxy.upstream;

import dev.bitsbridge.proxy.config.OutboundProxy;
import dev.bitsbridge.proxy.config.ProxyRoutes;
import dev.bitsbridge.proxy.upstream.UpstreamException.Kind;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.pool.AbstractChannelPoolHandler;
import io.netty.channel.pool.ChannelHealthChecker;
import io.netty.channel.pool.ChannelPool;
import io.netty.channel.pool.SimpleChannelPool;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.concurrent.atomic.LongAdder;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/**
 * Pooled HTTP/1.1 connections to upstream endpoints, one pool per (event loop, endpoint): a
 * connection is created on, and only used from, the event loop of the client connection it
 * serves, so nothing is shared between threads and no locks are taken. Idle connections are
 * reused most-recently-used first and closed after {@code idleTimeout}.
 *
 * <p>Thread-safety: {@link #send} may be called from any event loop of the shared group; the pool
 * map is concurrent, each pool is touched only by its own loop.
 */
public final class UpstreamClient implements AutoCloseable {

    private final Class<? extends SocketChannel> channelClass;
    private final Supplier<SslContext> sslContext;
    private final int connectTimeoutMillis;
    private final long idleTimeoutMillis;
    private final Map<PoolKey, ChannelPool> pools = new ConcurrentHashMap<>();
    private final AtomicLong connectionsOpened = new AtomicLong();
    private final LongAdder bytesReceived = new LongAdder();
    /** Counts raw bytes read from upstream sockets (TLS and headers included); shared, stateless. */
    private final ChannelInboundHandlerAdapter byteCounter = new ByteCounter(bytesReceived);

    /** {@code checked}: connections whose resolved address passes {@link #addressCheck}. */
    private record PoolKey(EventLoop loop, UpstreamEndpoint endpoint, boolean checked) {
    }

    private volatile AddressCheck addressCheck = AddressCheck.NONE;
    private volatile ProxyRoutes routes = ProxyRoutes.DIRECT;

    /**
     * The forward proxies requests go through (CONNECT tunnels for https, absolute-form requests
     * for http; see {@link ForwardProxy}). Set before the first send.
     */
    public void proxyRoutes(ProxyRoutes routes) {
        this.routes = routes;
    }

    /**
     * The check applied to the resolved address of requests sent with {@code checked} (URLs handed
     * in by callers: links, vendors), between resolution and connect. Set before the first send.
     */
    public void addressCheck(AddressCheck check) {
        this.addressCheck = check;
    }

    /** @param sslContext built on first use by a TLS connection (plain-HTTP upstreams never pay for it) */
    public UpstreamClient(Class<? extends SocketChannel> channelClass, Supplier<SslContext> sslContext,
            Duration connectTimeout,
            Duration idleTimeout) {
        this.channelClass = channelClass;
        this.sslContext = sslContext;
        this.connectTimeoutMillis = (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis());
        this.idleTimeoutMillis = idleTimeout.toMillis();
    }

    /** How many upstream connections were opened so far (a pooled connection counts once). */
    public long connectionsOpened() {
        return connectionsOpened.get();
    }

    /** Bytes read from upstream connections so far, as they came off the socket. */
    public long bytesReceived() {
        return bytesReceived.sum();
    }

    @ChannelHandler.Sharable
    private static final class ByteCounter extends ChannelInboundHandlerAdapter {
        private final LongAdder counter;

        ByteCounter(LongAdder counter) {
            this.counter = counter;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf b) {
                counter.add(b.readableBytes());
            }
            ctx.fireChannelRead(msg);
        }
    }

    /**
     * Sends {@code request} to {@code endpoint} on a connection of {@code loop}. The listener gets
     * the head, then (on demand) the body, or a failure; {@code timeout} bounds each wait on S3.
     * Ownership of {@code request} passes to this method.
     */
    public void send(EventLoop loop, UpstreamEndpoint endpoint, HttpRequest request, boolean headRequest,
            Duration timeout, UpstreamListener listener) {
        send(loop, endpoint, request, headRequest, false, timeout, listener);
    }

    /**
     * As above; with {@code checked}, the connection goes only to an address the
     * {@link #addressCheck} allows (a separate pool, so a connection opened unchecked is never
     * reused for a checked request).
     */
    public void send(EventLoop loop, UpstreamEndpoint endpoint, HttpRequest request, boolean headRequest,
            boolean checked, Duration timeout, UpstreamListener listener) {
        OutboundProxy via = routes.route(endpoint.secure(), endpoint.host(), endpoint.port());
        if (via != null && checked) {
            // The proxy resolves the name, so only an IP literal can be checked here (docs/security.md).
            String refusal = ForwardProxy.literalRefusal(endpoint, addressCheck);
            if (refusal != null) {
                io.netty.util.ReferenceCountUtil.release(request);
                listener.onFailure(null, new UpstreamException(Kind.ADDRESS_REFUSED, refusal, null));
                return;
            }
        }
        if (via != null && !endpoint.secure()) {
            ForwardProxy.absoluteForm(request, endpoint, via);
        }
        ChannelPool pool = pools.computeIfAbsent(new PoolKey(loop, endpoint, checked),
                k -> newPool(k.loop(), k.endpoint(), k.checked(), via));
        pool.acquire(loop.newPromise()).addListener(f -> {
            if (!f.isSuccess()) {
                io.netty.util.ReferenceCountUtil.release(request);
                if (refused(f.cause()) != null) {
                    listener.onFailure(null, new UpstreamException(Kind.ADDRESS_REFUSED, refused(f.cause()), f.cause()));
                    return;
                }
                listener.onFailure(null, new UpstreamException(Kind.CONNECT_FAILED,
                        "cannot connect to " + endpoint + ": " + describe(f.cause()), f.cause()));
                return;
            }
            Channel ch = (Channel) f.getNow();
            // A new connection through a CONNECT tunnel is usable once the proxy said 200.
            io.netty.util.concurrent.Future<Channel> tunnel = ForwardProxy.tunnel(ch);
            if (tunnel == null || tunnel.isSuccess()) {
                new UpstreamExchange(ch, pool, timeout.toNanos(), headRequest, listener).start(request);
                return;
            }
            tunnel.addListener(t -> {
                if (t.isSuccess()) {
                    new UpstreamExchange(ch, pool, timeout.toNanos(), headRequest, listener).start(request);
                    return;
                }
                io.netty.util.ReferenceCountUtil.release(request);
                ch.close();
                pool.release(ch);
                listener.onFailure(null, new UpstreamException(Kind.CONNECT_FAILED,
                        ForwardProxy.describeFailure(via, endpoint, t.cause()), t.cause()));
            });
        });
    }

    private static String refused(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof CheckedResolverGroup.AddressRefusedException) {
                return c.getMessage();
            }
        }
        return null;
    }

    private static String describe(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = root.getMessage();
        return m == null ? root.getClass().getSimpleName() : m;
    }

    private ChannelPool newPool(EventLoop loop, UpstreamEndpoint endpoint, boolean checked, OutboundProxy via) {
        Bootstrap b = new Bootstrap()
                .group(loop)
                .channel(channelClass)
                .remoteAddress(ForwardProxy.remoteAddress(endpoint, via))
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
                // Larger reads from S3 mean fewer, bigger writes to the client.
                .option(ChannelOption.RCVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator(4096, 65536, 256 * 1024))
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(64 * 1024, 256 * 1024));
        if (via != null && endpoint.secure()) {
            // The tunnel's destination is sent to the proxy by name; the proxy resolves it.
            b.resolver(io.netty.resolver.NoopAddressResolverGroup.INSTANCE);
        } else if (checked && via == null) {
            b.resolver(new CheckedResolverGroup(endpoint, addressCheck));
        }
        return new SimpleChannelPool(b, new AbstractChannelPoolHandler() {
            @Override
            public void channelCreated(Channel ch) {
                connectionsOpened.incrementAndGet();
                ChannelPipeline p = ch.pipeline();
                p.addLast("count", byteCounter);
                if (via != null && endpoint.secure()) {
                    p.addLast("proxy-connect", ForwardProxy.connectHandler(via, connectTimeoutMillis));
                }
                if (endpoint.secure()) {
                    SslHandler ssl = sslContext.get().newHandler(ch.alloc(), endpoint.host(), endpoint.port());
                    SSLEngine engine = ssl.engine();
                    SSLParameters params = engine.getSSLParameters();
                    params.setEndpointIdentificationAlgorithm("HTTPS");
                    engine.setSSLParameters(params);
                    p.addLast("tls", ssl);
                }
                p.addLast("idle", new IdleStateHandler(idleTimeoutMillis, 0, 0, TimeUnit.MILLISECONDS));
                p.addLast("http", new HttpClientCodec(4096, 32 * 1024, 256 * 1024));
                p.addLast("response", new UpstreamResponseHandler());
            }

            @Override
            public void channelReleased(Channel ch) {
                // Keep one read pending while idle, so a close by S3 is noticed now and the pool
                // drops the connection, instead of failing the next request sent on it.
                ch.read();
            }
        }, ChannelHealthChecker.ACTIVE, true, true);
    }

    @Override
    public void close() {
        pools.values().forEach(ChannelPool::close);
        pools.clear();
    }
}
