package dev.bitsbridge.proxy.observe;

import dev.bitsbridge.proxy.endpoint.ClientResponse;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Follows each request on a connection from its head to the end of its response: registers it
 * as an active transfer (so the status page can show it), counts body bytes as they are written
 * (one volatile add per write, not per byte), and reports the outcome to {@link ProxyEvents}, as
 * well as the request body bytes read (uploads), once per request body.
 *
 * <p>Requests for the proxy's own endpoints ({@code /_bitsbridge/...}) count in the metrics but
 * are not listed as transfers: the status page polling itself would otherwise fill its own list.
 *
 * <p>Threading: one instance per connection, confined to its event loop. It holds no buffers.
 */
public final class TransferTracker extends ChannelDuplexHandler {

    private final TransferRegistry registry;
    private final ProxyEvents events;
    private String client;
    private TransferRegistry.Active current;
    private boolean listed;
    private long bodyReceived;

    public TransferTracker(TransferRegistry registry, ProxyEvents events) {
        this.registry = registry;
        this.events = events;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest req && current == null) {
            ctx.channel().attr(ClientResponse.UPSTREAM_REQUEST_ID).set(null);
            String path = pathOnly(req.uri());
            listed = !path.startsWith("/_bitsbridge");
            TransferRegistry.Active a = new TransferRegistry.Active(0, req.method().name(), path, client(ctx));
            current = listed ? registry.start(a.method, a.path, a.client) : a;
            ctx.channel().attr(ClientResponse.UPSTREAM_PARALLELISM).set(null);
            current.upstream = ctx.channel().attr(ClientResponse.UPSTREAM_PARALLELISM);
        }
        if (msg instanceof HttpContent c) {
            bodyReceived += c.content().readableBytes();
            if (msg instanceof LastHttpContent) {
                reportBody();
            }
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        TransferRegistry.Active a = current;
        if (a != null) {
            if (msg instanceof HttpResponse r) {
                a.status = r.status().code();
                a.total = HttpUtil.getContentLength(r, -1L);
            }
            int n = msg instanceof ByteBufHolder h ? h.content().readableBytes()
                    : msg instanceof ByteBuf b ? b.readableBytes() : 0;
            if (n > 0) {
                a.bytes += n; // single writer: this event loop
            }
            if (msg instanceof LastHttpContent) {
                current = null;
                promise = promise.unvoid();
                promise.addListener(f -> end(a, f.isSuccess()));
            }
        }
        ctx.write(msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        reportBody();
        if (current != null) {
            TransferRegistry.Active a = current;
            current = null;
            end(a, false);
        }
        ctx.fireChannelInactive();
    }

    private void reportBody() {
        if (bodyReceived > 0) {
            events.requestBodyReceived(bodyReceived);
            bodyReceived = 0;
        }
    }

    private void end(TransferRegistry.Active a, boolean complete) {
        if (a.id != 0) {
            registry.end(a, complete);
        }
        events.requestDone(a.method, a.status, a.bytes, System.nanoTime() - a.startNanos, complete);
    }

    private String client(ChannelHandlerContext ctx) {
        if (client == null) {
            SocketAddress sa = ctx.channel().remoteAddress();
            client = sa instanceof InetSocketAddress isa
                    ? isa.getAddress().getHostAddress() + ":" + isa.getPort() : String.valueOf(sa);
        }
        return client;
    }

    static String pathOnly(String uri) {
        int q = uri.indexOf('?');
        String p = q < 0 ? uri : uri.substring(0, q);
        return p.length() > 512 ? p.substring(0, 512) + "..." : p;
    }
}
