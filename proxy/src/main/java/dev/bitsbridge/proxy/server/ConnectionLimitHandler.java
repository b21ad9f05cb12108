package dev.bitsbridge.proxy.server;

import dev.bitsbridge.proxy.error.BridgeError;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Caps concurrent client connections: in all ({@code --max-connections}) and per client address
 * ({@code --max-connections-per-client}), so one client holding many slow connections fills its
 * own quota, not everyone's (issue #15, finding 8). A connection over a cap gets a 503 and is
 * closed before anything is read from it. Shared by all connections; the per-address counts live
 * in a concurrent map whose entries are removed when they reach zero.
 */
@Sharable
final class ConnectionLimitHandler extends ChannelInboundHandlerAdapter {

    private static final byte[] REFUSAL = refusal(BridgeError.OVERLOADED.message());
    private static final byte[] PER_CLIENT = refusal("too many connections from your address; retry later");

    private final int max;
    private final int maxPerClient;
    private final AtomicInteger open = new AtomicInteger();
    private final Map<InetAddress, AtomicInteger> perClient = new ConcurrentHashMap<>();

    ConnectionLimitHandler(int max) {
        this(max, Integer.MAX_VALUE);
    }

    ConnectionLimitHandler(int max, int maxPerClient) {
        this.max = max;
        this.maxPerClient = maxPerClient <= 0 ? Integer.MAX_VALUE : maxPerClient;
    }

    private static byte[] refusal(String message) {
        String body = "503 Service Unavailable: " + message + "\n";
        return ("HTTP/1.1 503 Service Unavailable\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\nRetry-After: 5\r\nConnection: close\r\n"
                + "Content-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII);
    }

    int open() {
        return open.get();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        InetAddress client = client(ctx);
        int mine = client == null ? 0 : perClient.computeIfAbsent(client, k -> new AtomicInteger()).incrementAndGet();
        if (open.incrementAndGet() > max) {
            refuse(ctx, REFUSAL);
            return;
        }
        if (mine > maxPerClient) {
            refuse(ctx, PER_CLIENT);
            return;
        }
        ctx.fireChannelActive();
    }

    private static void refuse(ChannelHandlerContext ctx, byte[] answer) {
        ctx.channel().config().setAutoRead(false);
        ctx.writeAndFlush(Unpooled.wrappedBuffer(answer)).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        open.decrementAndGet();
        InetAddress client = client(ctx);
        if (client != null) {
            perClient.computeIfPresent(client, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
        }
        ctx.fireChannelInactive();
    }

    private static InetAddress client(ChannelHandlerContext ctx) {
        return ctx.channel().remoteAddress() instanceof InetSocketAddress a ? a.getAddress() : null;
    }
}
