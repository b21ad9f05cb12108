package dev.bitsbridge.proxy.server;

import dev.bitsbridge.proxy.endpoint.RequestBodySink;

import dev.bitsbridge.proxy.endpoint.ClientResponse;
import dev.bitsbridge.proxy.endpoint.Transfer;
import dev.bitsbridge.proxy.error.BridgeError;
import dev.bitsbridge.proxy.http.RequestPath;
import dev.bitsbridge.proxy.http.RequestPath.InvalidPathException;
import dev.bitsbridge.proxy.download.ObjectSource;
import dev.bitsbridge.proxy.share.ShareGate;
import dev.bitsbridge.proxy.share.ShareLinks;
import dev.bitsbridge.proxy.share.ShareToken;
import dev.bitsbridge.proxy.share.SpentLedger;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.InetSocketAddress;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler: one request at a time per connection. Reads a request head, routes it (the
 * proxy's own endpoints under {@code /_bitsbridge/}, downloads, the rest refused), consumes the
 * request body, and asks for the next request only once the response is complete. The client
 * channel has autoRead off, so a slow response never piles pipelined requests up in memory.
 *
 * <p>Threading: one instance per connection, confined to its event loop.
 */
final class ProxyRequestHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(ProxyRequestHandler.class);
    static final String RESERVED_PREFIX = "/_bitsbridge/";
    /** A GET or HEAD body is read and dropped, up to this much; more closes the connection. */
    private static final long MAX_DISCARDED_BODY = 1024 * 1024;
    /** The proxy's own endpoints take small JSON bodies, read whole before they are called. */
    static final int MAX_ENDPOINT_BODY = 64 * 1024;

    enum State {
        AWAITING_REQUEST,
        HANDLING,
        CLOSING
    }

    private final ServerContext server;
    private State state = State.AWAITING_REQUEST;
    private boolean requestComplete;
    private boolean responseComplete;
    private boolean reusable;
    private long discarded;
    private ClientResponse response;
    private Transfer transfer;
    private HttpRequest endpointRequest;
    private String endpointPath;
    private CompositeByteBuf endpointBody;
    private RequestBodySink sink;
    /** The one-time link this connection's transfer holds (released once the response ends). */
    private ShareToken onceClaim;
    /** A read() was asked for and no message has arrived for it yet (see channelReadComplete). */
    private boolean awaitingMessage;

    ProxyRequestHandler(ServerContext server) {
        this.server = server;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        server.connectionOpened(ctx.channel());
        demand(ctx);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        awaitingMessage = false;
        if (msg instanceof HttpRequest req) {
            if (state != State.AWAITING_REQUEST) {
                ReferenceCountUtil.release(msg);
                ctx.close();
                return;
            }
            state = State.HANDLING;
            requestComplete = msg instanceof LastHttpContent;
            responseComplete = false;
            discarded = 0;
            SlowRequestHandler slow = ctx.pipeline().get(SlowRequestHandler.class);
            if (slow != null) {
                slow.requestReceived(ctx, !requestComplete, () -> response != null && response.headSent());
            }
            server.requestStarted();
            try {
                handle(ctx, req);
                if (req instanceof HttpContent c) {
                    collect(ctx, c);
                }
                if (sink != null && req instanceof LastHttpContent) {
                    // A whole request in one message (no body): the sink still sees its end.
                    RequestBodySink s = sink;
                    sink = null;
                    s.onContent(io.netty.buffer.Unpooled.EMPTY_BUFFER, true, () -> { });
                }
            } catch (RuntimeException e) {
                log.error("unexpected error handling a request", e);
                if (response != null) {
                    response.error(BridgeError.INTERNAL_ERROR, null);
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
            if (!requestComplete) {
                demand(ctx);
            }
            return;
        }
        if (msg instanceof HttpContent content) {
            if (sink != null) {
                boolean last = content instanceof LastHttpContent;
                RequestBodySink s = sink;
                if (last) {
                    sink = null;
                    bodyComplete(ctx);
                }
                // The sink asks for more when it has dealt with this piece; until then nothing is read.
                s.onContent(content.content().retain(), last, () -> ctx.executor().execute(() -> demand(ctx)));
                content.release();
                if (last && responseComplete) {
                    nextRequest(ctx);
                }
                return;
            }
            if (endpointRequest != null) {
                collect(ctx, content);
                content.release();
                return;
            }
            discarded += content.content().readableBytes();
            boolean last = content instanceof LastHttpContent;
            content.release();
            if (discarded > MAX_DISCARDED_BODY) {
                if (response != null && !response.headSent()) {
                    response.error(BridgeError.PAYLOAD_TOO_LARGE, "GET and HEAD requests take no body");
                }
                reusable = false;
                ctx.close();
                return;
            }
            if (last) {
                bodyComplete(ctx);
                if (responseComplete) {
                    nextRequest(ctx);
                }
            } else {
                demand(ctx);
            }
            return;
        }
        ReferenceCountUtil.release(msg);
    }

    private void handle(ChannelHandlerContext ctx, HttpRequest req) {
        boolean keepAlive = HttpUtil.isKeepAlive(req) && !server.draining();
        response = new ClientResponse(ctx, keepAlive, req.method().equals(HttpMethod.HEAD), this::responseDone);
        if (req.method().equals(HttpMethod.OPTIONS)) {
            server.endpoints().options(response); // before the path: OPTIONS * has none
            return;
        }
        String rawPath;
        try {
            rawPath = RequestPath.rawPath(req.uri());
        } catch (InvalidPathException e) {
            response.error(BridgeError.INVALID_PATH, e.getMessage());
            return;
        }
        if (AdminGate.reserved(rawPath)) {
            HttpHeaders h = req.headers();
            BridgeError refused = server.admin().decide(req.method(), rawPath, h.get(HttpHeaderNames.AUTHORIZATION),
                    h.get(HttpHeaderNames.CONTENT_TYPE), fromLoopback(ctx));
            if (refused != null) {
                HttpHeaders extra = refused != BridgeError.ADMIN_TOKEN_REQUIRED ? null
                        : new DefaultHttpHeaders().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"bitsbridge-admin\"");
                // A body that follows is read and dropped (up to MAX_DISCARDED_BODY), as for a GET.
                response.error(refused, null, extra);
                return;
            }
            // Called once the (small) body is in: see collect().
            endpointRequest = req;
            endpointPath = rawPath;
            endpointBody = ctx.alloc().compositeBuffer();
            return;
        }
        HttpMethod m = req.method();
        boolean download = m.equals(HttpMethod.GET) || m.equals(HttpMethod.HEAD);
        boolean upload = m.name().equalsIgnoreCase("BITS_POST");
        if (!download && !upload) {
            server.endpoints().otherMethod(req, response);
            return;
        }
        ShareGate.Decision d;
        try {
            d = server.shares().decide(req, rawPath, upload);
        } catch (InvalidPathException e) {
            response.error(BridgeError.INVALID_PATH, e.getMessage());
            return;
        }
        if (d.refused()) {
            refuse(d.refusal());
            return;
        }
        if (d.spentInBucket() != null) {
            // Another proxy may have spent this one-time link: its marker decides (off the loop).
            ClientResponse r = response;
            r.onLoop(d.spentInBucket(), (spent, err) -> {
                if (response != r || r.headSent() || state != State.HANDLING) {
                    return; // the client went away meanwhile
                }
                if (err != null) {
                    log.warn("cannot check the bucket for a spent share link: {}", err.toString());
                    r.error(BridgeError.UPSTREAM_UNAVAILABLE, "cannot check whether this one-time link was used");
                } else if (spent) {
                    refuse(ShareLinks.Refusal.SPENT);
                } else {
                    transfer = startDownload(req, rawPath, d.token());
                }
            });
            return;
        }
        if (upload) {
            sink = server.uploads().start(req, rawPath, response);
        } else {
            transfer = startDownload(req, rawPath, d.token());
        }
    }

    private Transfer startDownload(HttpRequest req, String rawPath, ShareToken token) {
        return startDownload(req, rawPath, token, CLAIM_RETRIES);
    }

    private Transfer startDownload(HttpRequest req, String rawPath, ShareToken token, int claimRetries) {
        try {
            ObjectSource source = server.downloads().source(rawPath, server.keyMapper());
            boolean once = token != null && token.once();
            if (once) {
                SpentLedger ledger = server.shares().ledger();
                // A HEAD delivers nothing: it needs no claim (BITS sends one before its ranges).
                if (!req.method().equals(HttpMethod.HEAD)) {
                    if (!ledger.begin(token)) {
                        awaitClaim(req, rawPath, token, claimRetries);
                        return null;
                    }
                    onceClaim = token;
                }
                response.trackDelivery((first, length, size, complete) ->
                        ledger.delivered(token, first, length, size, complete));
            }
            return server.downloads().start(req, source, response, once);
        } catch (InvalidPathException e) {
            response.error(BridgeError.INVALID_PATH, e.getMessage());
            return null;
        }
    }

    /** How often, 25 ms apart, a busy one-time link is tried again before 409. */
    private static final int CLAIM_RETRIES = 8;

    /**
     * The previous transfer's end is noted when its last write completes, which a fast client can
     * overtake with its next request on a new connection: wait a moment before calling it busy.
     */
    private void awaitClaim(HttpRequest req, String rawPath, ShareToken token, int left) {
        ClientResponse r = response;
        if (left == 0) {
            r.error(BridgeError.LINK_BUSY, null);
            return;
        }
        r.ctx().executor().schedule(() -> {
            if (response != r || r.isDone() || r.headSent() || state != State.HANDLING) {
                return; // the client went away meanwhile
            }
            transfer = startDownload(req, rawPath, token, left - 1);
        }, 25, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    private void refuse(ShareLinks.Refusal refusal) {
        HttpHeaders extra = null;
        if (refusal == ShareLinks.Refusal.MISSING) {
            extra = new DefaultHttpHeaders().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"bitsbridge\"");
        }
        response.error(refusal.error(), refusal.message(), extra);
    }

    private static boolean fromLoopback(ChannelHandlerContext ctx) {
        return ctx.channel().remoteAddress() instanceof InetSocketAddress a && a.getAddress() != null
                && a.getAddress().isLoopbackAddress();
    }

    /** Adds a piece of an endpoint request's body; calls the endpoint once the body is whole. */
    private void collect(ChannelHandlerContext ctx, HttpContent content) {
        if (endpointRequest == null) {
            return;
        }
        int n = content.content().readableBytes();
        if (endpointBody.readableBytes() + n > MAX_ENDPOINT_BODY) {
            releaseEndpoint();
            reusable = false;
            response.error(BridgeError.PAYLOAD_TOO_LARGE, "request body over " + MAX_ENDPOINT_BODY + " bytes");
            ctx.close();
            return;
        }
        if (n > 0) {
            endpointBody.addComponent(true, content.content().retain());
        }
        if (!(content instanceof LastHttpContent)) {
            demand(ctx);
            return;
        }
        bodyComplete(ctx);
        HttpRequest req = endpointRequest;
        String path = endpointPath;
        CompositeByteBuf body = endpointBody;
        endpointRequest = null;
        endpointBody = null;
        try {
            transfer = server.endpoints().handle(req, path, body, response);
        } finally {
            body.release();
        }
    }

    /** The request body was read whole: the slow-body rule stops measuring it. */
    private void bodyComplete(ChannelHandlerContext ctx) {
        requestComplete = true;
        SlowRequestHandler slow = ctx.pipeline().get(SlowRequestHandler.class);
        if (slow != null) {
            slow.bodyDone();
        }
    }

    private void releaseEndpoint() {
        if (endpointBody != null) {
            endpointBody.release();
            endpointBody = null;
        }
        endpointRequest = null;
    }

    private void releaseOnceClaim() {
        if (onceClaim != null) {
            server.shares().ledger().end(onceClaim);
            onceClaim = null;
        }
    }

    private void responseDone(boolean reusable) {
        releaseOnceClaim();
        this.reusable = reusable;
        responseComplete = true;
        transfer = null;
        server.requestFinished();
        ChannelHandlerContext ctx = response.ctx();
        if (!reusable) {
            state = State.CLOSING;
            ctx.close();
            return;
        }
        if (requestComplete) {
            nextRequest(ctx);
        }
    }

    private void nextRequest(ChannelHandlerContext ctx) {
        if (!reusable || server.draining()) {
            ctx.close();
            return;
        }
        state = State.AWAITING_REQUEST;
        SlowRequestHandler slow = ctx.pipeline().get(SlowRequestHandler.class);
        if (slow != null) {
            slow.responseDone();
        }
        demand(ctx);
    }

    /** Asks for the next message; set before read(), which may deliver it at once. */
    private void demand(ChannelHandlerContext ctx) {
        awaitingMessage = true;
        ctx.read();
    }

    /**
     * Netty 4.2.15+ FlowControlHandler forgets a pending read() when a socket read ends without a
     * complete message (a request head larger than one read, ~2 KiB at first), and the head that
     * follows is then queued and never delivered: the connection hangs (netty/netty#17050). It
     * tells us with channelReadComplete, after which it holds no demand, so asking again restores
     * exactly one read.
     */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (awaitingMessage && state != State.CLOSING) {
            ctx.read();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (response != null) {
            response.writabilityChanged();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseEndpoint();
        releaseOnceClaim();
        if (sink != null) {
            sink.onAbort();
            sink = null;
        }
        if (transfer != null) {
            transfer.cancel();
            transfer = null;
        }
        if (response != null) {
            // Ends the request's accounting once (responseDone); an answer computed later is dropped.
            response.connectionClosed();
        }
        state = State.CLOSING;
        server.connectionClosed(ctx.channel());
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Client resets and broken pipes are routine for download tools; log them quietly.
        log.debug("client connection error: {}", cause.toString());
        ctx.close();
    }

    static String host(HttpRequest req) {
        return req.headers().get(HttpHeaderNames.HOST);
    }
}
