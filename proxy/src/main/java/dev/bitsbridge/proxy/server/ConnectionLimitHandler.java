package dev.bitsbridge.proxy.server;

import dev.bitsbridge.proxy.error.BridgeError;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Caps concurrent client connections ({@code --max-connections}). A connection over the cap gets
 * a 503 and is closed before anything is read from it. Shared by all connections.
 */
@Sharable
final class ConnectionLimitHandler extends ChannelInboundHandlerAdapter {

    private static final String BODY = "503 Service Unavailable: " + BridgeError.OVERLOADED.message() + "\n";
    private static final byte[] REFUSAL = ("HTTP/1.1 503 Service Unavailable\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\nRetry-After: 5\r\nConnection: close\r\n"
            + "Content-Length: " + BODY.length() + "\r\n\r\n" + BODY).getBytes(StandardCharsets.US_ASCII);

    private final int max;
    private final AtomicInteger open = new AtomicInteger();

    ConnectionLimitHandler(int max) {
        this.max = max;
    }

    int open() {
        return open.get();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (open.incrementAndGet() > max) {
            ctx.channel().config().setAutoRead(false);
            ctx.writeAndFlush(Unpooled.wrappedBuffer(REFUSAL)).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        open.decrementAndGet();
        ctx.fireChannelInactive();
    }
}
