package dev.bitsbridge.proxy.upstream;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;

/**
 * The last handler of every upstream connection: hands what the connection reads to the exchange
 * currently using it. A pooled connection has no exchange; anything it reads then (a server
 * closing it, or stray bytes) makes it close, so the pool never hands out a dead or confused
 * connection. Idle pooled connections are closed before S3 would close them.
 */
final class UpstreamResponseHandler extends ChannelInboundHandlerAdapter {

    static final AttributeKey<UpstreamExchange> EXCHANGE = AttributeKey.valueOf("bitsbridge.upstreamExchange");

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        UpstreamExchange exchange = ctx.channel().attr(EXCHANGE).get();
        if (exchange == null) {
            ReferenceCountUtil.release(msg);
            ctx.close();
            return;
        }
        exchange.onMessage(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        UpstreamExchange exchange = ctx.channel().attr(EXCHANGE).get();
        if (exchange != null) {
            exchange.onClosed(null);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        UpstreamExchange exchange = ctx.channel().attr(EXCHANGE).get();
        if (exchange != null) {
            exchange.onClosed(cause);
        }
        ctx.close();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent && ctx.channel().attr(EXCHANGE).get() == null) {
            ctx.close();
            return;
        }
        ReferenceCountUtil.release(evt);
    }
}
