package dev.bitsbridge.proxy.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One access-log line per request, on logger {@code bitsbridge.access}: method, path, status,
 * body bytes sent, duration, Range and User-Agent, and {@code aborted} when the connection closed
 * before the response was complete. The query string is never logged (it can carry presigned
 * signatures or share tokens), nor is any credential-bearing header.
 *
 * <p>Threading: one instance per connection, confined to its event loop.
 */
final class AccessLogHandler extends ChannelDuplexHandler {

    static final Logger ACCESS = LoggerFactory.getLogger("bitsbridge.access");

    private String method;
    private String path;
    private String range;
    private String userAgent;
    private long startNanos;
    private int status;
    private long bytes;
    private boolean inProgress;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest req && !inProgress) {
            inProgress = true;
            method = req.method().name();
            path = pathOnly(req.uri());
            range = req.headers().get(HttpHeaderNames.RANGE);
            userAgent = req.headers().get(HttpHeaderNames.USER_AGENT);
            startNanos = System.nanoTime();
            status = 0;
            bytes = 0;
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse r) {
            status = r.status().code();
            if (!inProgress) {
                // A response to bytes that never became a request (400, 408, 431, 503 at accept).
                inProgress = true;
                method = "-";
                path = "-";
                range = null;
                userAgent = null;
                startNanos = System.nanoTime();
                bytes = 0;
            }
        }
        if (msg instanceof ByteBufHolder h) {
            bytes += h.content().readableBytes();
        } else if (msg instanceof ByteBuf b) {
            bytes += b.readableBytes();
        }
        if (msg instanceof LastHttpContent && inProgress) {
            promise = promise.unvoid();
            promise.addListener(f -> log(f.isSuccess() ? null : "aborted"));
        }
        ctx.write(msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (inProgress) {
            log("aborted");
        }
        ctx.fireChannelInactive();
    }

    private void log(String note) {
        if (!inProgress) {
            return;
        }
        inProgress = false;
        if (ACCESS.isInfoEnabled()) {
            long ms = (System.nanoTime() - startNanos) / 1_000_000;
            ACCESS.info("{} {} {} {} {}ms range=\"{}\" ua=\"{}\"{}", method, path, status == 0 ? "-" : status, bytes, ms,
                    range == null ? "-" : range, userAgent == null ? "-" : userAgent.replace('"', '\''),
                    note == null ? "" : " " + note);
        }
    }

    static String pathOnly(String uri) {
        int q = uri.indexOf('?');
        String p = q < 0 ? uri : uri.substring(0, q);
        return p.length() > 512 ? p.substring(0, 512) + "..." : p;
    }
}
