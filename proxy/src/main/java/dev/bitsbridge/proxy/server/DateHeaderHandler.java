package dev.bitsbridge.proxy.server;

import dev.bitsbridge.proxy.http.HttpDates;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;

/**
 * Adds {@code Date} to every response head that lacks one: RFC 9110 §6.6.1 requires it of an
 * origin server with a clock on 2xx, 3xx and 4xx answers, and caches use it to age what they
 * store. One place, so no endpoint can forget it; the value is formatted once per second
 * ({@link HttpDates#now}). Sits just after the encoder, so every response written by the handlers
 * after it passes here. Stateless and shared; bodies pass through untouched.
 */
@Sharable
final class DateHeaderHandler extends ChannelOutboundHandlerAdapter {

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse r && !r.headers().contains(HttpHeaderNames.DATE)) {
            r.headers().set(HttpHeaderNames.DATE, HttpDates.now());
        }
        ctx.write(msg, promise);
    }
}
