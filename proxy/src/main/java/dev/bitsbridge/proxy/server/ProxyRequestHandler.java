package dev.bitsbridge.proxy.server;

import dev.bitsbridge.proxy.endpoint.ClientResponse;
import dev.bitsbridge.proxy.endpoint.RequestBodySink;
import dev.bitsbridge.proxy.endpoint.Transfer;
import dev.bitsbridge.proxy.error.BridgeError;
import dev.bitsbridge.proxy.http.RequestPath.InvalidPathException;
import dev.bitsbridge.proxy.http.RequestPath;
import dev.bitsbridge.proxy.share.ShareGate;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler: one request at a time per connection. Reads a request head, routes it (the
 * proxy's own endpoints under {@code /_bitsbridge/} behind the {@link AdminGate}, downloads and
 * uploads behind the {@link ShareGate}, the rest refused), hands the body to the request's
 * {@link RequestBodies} strategy, and asks for the next request only once the response is
 * complete. The client channel has autoRead off, so a slow response never piles pipelined
 * requests up in memory.
 *
 * <p>Threading: one instance per connection, confined to its event loop.
 */
final class ProxyRequestHandler extends ChannelInboundHandlerAdapter implements RequestBodies.Reader {

    private static final Logger log = LoggerFactory.getLogger(ProxyRequestHandler.class);
    static final String RESERVED_PREFIX = "/_bitsbridge/";

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
    private ClientResponse response;
    private Transfer transfer;
    /** What happens to the current request's body. */
    private RequestBodies.Body body;
    /** A read() was asked for and no message has arrived for it yet (see channelReadComplete). */
    private boolean awaitingMessage;

    private final ShareStage shares;
    /** The pipeline's slow-request guard, found when this handler is added (null in a pipeline without one). */
    private SlowRequestHandler slow;

    ProxyRequestHandler(ServerContext server) {
        this.server = server;
        this.shares = new ShareStage(server);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        slow = ctx.pipeline().get(SlowRequestHandler.class); // added before this handler, once per connection
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
            if (slow != null) {
                slow.requestReceived(ctx, !requestComplete, () -> response != null && response.headSent());
            }
            server.requestStarted();
            try {
                handle(ctx, req);
                if (req instanceof LastHttpContent c) {
                    body.onWholeRequest(ctx, c);
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
            if (content.decoderResult().isFailure()) {
                // A malformed chunk: the rest of the stream cannot be framed, so no later request
                // can be found in it. Answer if nothing was sent yet, and close.
                String why = String.valueOf(content.decoderResult().cause());
                content.release();
                body.onClose();
                response.errorAndClose(BridgeError.BAD_REQUEST, "the request body is malformed: "
                        + why.substring(why.lastIndexOf(':') + 1).strip());
                return;
            }
            body.onContent(ctx, content);
            return;
        }
        ReferenceCountUtil.release(msg);
    }

    private void handle(ChannelHandlerContext ctx, HttpRequest req) {
        boolean keepAlive = HttpUtil.isKeepAlive(req) && !server.draining();
        response = new ClientResponse(ctx, keepAlive, req.method().equals(HttpMethod.HEAD), this::responseDone);
        body = RequestBodies.discard(this, response); // unless the route below needs the body
        response.publicBase(server.publicBase(), req.headers().get(HttpHeaderNames.HOST));
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
                // A body that follows is read and dropped (up to RequestBodies.MAX_DISCARDED_BODY), as for a GET.
                response.error(refused, null, extra);
                return;
            }
            // The endpoint is called once its (small) body is in.
            body = RequestBodies.collect(this, response, req, rawPath, ctx.alloc().compositeBuffer(),
                    server.endpoints()::handle);
            return;
        }
        HttpMethod m = req.method();
        boolean download = m.equals(HttpMethod.GET) || m.equals(HttpMethod.HEAD);
        boolean upload = m.name().equalsIgnoreCase("BITS_POST");
        if (!download && !upload) {
            server.endpoints().otherMethod(req, response);
            return;
        }
        shares.admit(req, rawPath, upload, response, this::transferStarted, shareLinkId -> {
            RequestBodySink sink = server.uploads().start(req, rawPath, shareLinkId, response);
            if (sink != null) {
                body = RequestBodies.stream(this, sink);
            }
        });
    }

    private static boolean fromLoopback(ChannelHandlerContext ctx) {
        return ctx.channel().remoteAddress() instanceof InetSocketAddress a && a.getAddress() != null
                && a.getAddress().isLoopbackAddress();
    }

    @Override
    public void complete(ChannelHandlerContext ctx) {
        requestComplete = true;
        if (slow != null) {
            slow.bodyDone();
        }
    }

    @Override
    public void more(ChannelHandlerContext ctx) {
        demand(ctx);
    }

    @Override
    public void nextIfAnswered(ChannelHandlerContext ctx) {
        if (responseComplete) {
            nextRequest(ctx);
        }
    }

    @Override
    public void closeConnection(ChannelHandlerContext ctx) {
        reusable = false;
        ctx.close();
    }

    @Override
    public void transferStarted(Transfer t) {
        if (!responseComplete) {
            transfer = t;
        }
    }

    private void responseDone(boolean reusable) {
        shares.responseEnded();
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
        if (body != null) {
            body.onClose();
        }
        shares.responseEnded();
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
