package dev.bitsbridge.proxy.server;

import dev.bitsbridge.proxy.error.BridgeError;
import dev.bitsbridge.proxy.error.ErrorResponses;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;

/**
 * Refuses requests before any work is done for them: undecodable bytes (400), a request line or
 * header block over the limits (414, 431), two framings (400), a Host that does not name the proxy
 * (421, DNS rebinding), a browser Origin that is not allowed (403). A refused request's
 * connection is closed after the answer, and nothing more is read from it. Shared.
 */
@Sharable
final class RequestGuardHandler extends ChannelInboundHandlerAdapter {

    private static final AttributeKey<Boolean> REFUSED = AttributeKey.valueOf("bitsbridge.refused");

    private final HostPolicy policy;

    RequestGuardHandler(HostPolicy policy) {
        this.policy = policy;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (Boolean.TRUE.equals(ctx.channel().attr(REFUSED).get())) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpRequest req) {
            BridgeError refusal = check(req);
            if (refusal != null) {
                String detail = refusal == BridgeError.MISDIRECTED_REQUEST
                        ? misdirected(req.headers().get(HttpHeaderNames.HOST)) : null;
                ReferenceCountUtil.release(msg);
                refuse(ctx, refusal, detail);
                return;
            }
        }
        ctx.fireChannelRead(msg);
    }

    private BridgeError check(HttpRequest req) {
        if (req.decoderResult().isFailure()) {
            Throwable cause = req.decoderResult().cause();
            if (cause instanceof TooLongHttpLineException) {
                return BridgeError.URI_TOO_LONG;
            }
            if (cause instanceof TooLongHttpHeaderException) {
                return BridgeError.HEADERS_TOO_LARGE;
            }
            if (cause instanceof TooLongFrameException) {
                return BridgeError.HEADERS_TOO_LARGE;
            }
            return BridgeError.BAD_REQUEST;
        }
        HttpHeaders h = req.headers();
        if (h.contains(HttpHeaderNames.TRANSFER_ENCODING) && h.contains(HttpHeaderNames.CONTENT_LENGTH)) {
            return BridgeError.AMBIGUOUS_LENGTH;
        }
        if (h.getAll(HttpHeaderNames.HOST).size() > 1) {
            return BridgeError.BAD_REQUEST;
        }
        String host = h.get(HttpHeaderNames.HOST);
        if (host == null) {
            if (req.protocolVersion().equals(HttpVersion.HTTP_1_1)) {
                return BridgeError.BAD_REQUEST; // RFC 9112 §3.2: Host is mandatory in HTTP/1.1
            }
        } else if (!HostPolicy.wellFormed(host)) {
            return BridgeError.BAD_REQUEST;
        } else if (!policy.hostAllowed(host)) {
            return BridgeError.MISDIRECTED_REQUEST;
        }
        boolean own = AdminGate.reserved(req.uri()) && !AdminGate.capability(req.uri());
        if (!policy.originAllowed(h.get(HttpHeaderNames.ORIGIN), host, own)) {
            return BridgeError.FORBIDDEN_ORIGIN;
        }
        return null;
    }

    /**
     * The 421's message: the Host it got (well-formed by then, so safe to echo; bounded) and what
     * to do, for the operator who put the proxy behind a name and reads this in a client's error.
     */
    static String misdirected(String host) {
        String h = host.length() > 100 ? host.substring(0, 100) + "..." : host;
        String name = HostPolicy.hostName(host);
        return "this proxy does not serve host '" + h + "'; use its IP address or localhost, or start it with"
                + " --public-host " + (name == null ? h : name);
    }

    private static void refuse(ChannelHandlerContext ctx, BridgeError error, String detail) {
        ctx.channel().attr(REFUSED).set(Boolean.TRUE);
        ctx.channel().config().setAutoRead(false);
        ctx.channel().attr(dev.bitsbridge.proxy.endpoint.ClientResponse.FAILURE)
                .set(detail == null ? error.message() : detail);
        FullHttpResponse r = ErrorResponses.of(ctx.alloc(), error, detail);
        r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
    }
}
