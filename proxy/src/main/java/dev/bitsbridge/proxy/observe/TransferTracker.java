package dev.bitsbridge.proxy.observe;

import dev.bitsbridge.proxy.endpoint.ClientResponse;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.FileRegion;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Follows each request on a connection from its head to the end of its response: registers it
 * as an active transfer (so the status page can show it), counts response body bytes once their
 * write to the socket completed (a listener per write, not per byte; bytes queued in the channel
 * are not counted, so the status page's rate is what the client's connection took, not what the
 * proxy produced), and reports the outcome to {@link ProxyEvents}. Body bytes, sent and received
 * (uploads), are reported as they go, in batches of {@link #REPORT_BATCH} at most, so the byte
 * counters move during a long transfer, not only at its end.
 *
 * <p>Requests for the proxy's own endpoints ({@code /_bitsbridge/...}) count in the metrics but
 * are not listed as transfers: the status page polling itself would otherwise fill its own list.
 *
 * <p>Threading: one instance per connection, confined to its event loop. It holds no buffers.
 */
public final class TransferTracker extends ChannelDuplexHandler {

    /** Bytes gathered before one report to the (shared, striped) counters: a few adds per MiB. */
    static final int REPORT_BATCH = 64 * 1024;

    private final TransferRegistry registry;
    private final ProxyEvents events;
    private String client;
    private TransferRegistry.Active current;
    private boolean listed;
    private long bodyReceived;
    private long sentUnreported;

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
            String method = req.method().name();
            current = listed ? registry.start(method, path, client(ctx))
                    : new TransferRegistry.Active(0, method, path, client(ctx));
            ctx.channel().attr(ClientResponse.UPSTREAM_PARALLELISM).set(null);
            current.upstream = ctx.channel().attr(ClientResponse.UPSTREAM_PARALLELISM);
            ctx.channel().attr(ClientResponse.CACHE_SHARE).set(null);
            current.cache = ctx.channel().attr(ClientResponse.CACHE_SHARE);
        }
        if (msg instanceof HttpContent c) {
            bodyReceived += c.content().readableBytes();
            if (msg instanceof LastHttpContent || bodyReceived >= REPORT_BATCH) {
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
            long n = msg instanceof ByteBufHolder h ? h.content().readableBytes()
                    : msg instanceof ByteBuf b ? b.readableBytes()
                    : msg instanceof FileRegion region ? region.count() : 0; // a cache hit sent from its file
            if (n > 0) {
                promise = promise.unvoid();
                promise.addListener(f -> {
                    if (f.isSuccess()) {
                        written(a, n);
                    }
                });
            }
            if (msg instanceof LastHttpContent) {
                current = null;
                promise = promise.unvoid();
                // Added after the byte count's listener: a promise tells its listeners in order.
                promise.addListener(f -> end(a, f.isSuccess(), failure(ctx)));
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
            end(a, false, null);
        }
        ctx.fireChannelInactive();
    }

    private void reportBody() {
        if (bodyReceived > 0) {
            events.requestBodyReceived(bodyReceived);
            bodyReceived = 0;
        }
    }

    /** Runs on the event loop when the socket took {@code n} body bytes of {@code a}'s response. */
    private void written(TransferRegistry.Active a, long n) {
        a.bytes += n; // single writer: this event loop
        sentUnreported += n;
        if (sentUnreported >= REPORT_BATCH) {
            reportSent();
        }
    }

    private void reportSent() {
        if (sentUnreported > 0) {
            events.responseBodySent(sentUnreported);
            sentUnreported = 0;
        }
    }

    private void end(TransferRegistry.Active a, boolean complete, String failure) {
        reportSent();
        if (a.id != 0) {
            registry.end(a, complete, failure);
        }
        events.requestDone(a.method, a.status, a.bytes, System.nanoTime() - a.startNanos, complete);
    }

    /** Why the request failed, as its error response said (set by {@link ClientResponse}), or null. */
    private static String failure(ChannelHandlerContext ctx) {
        return ctx.channel().attr(ClientResponse.FAILURE).get();
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
