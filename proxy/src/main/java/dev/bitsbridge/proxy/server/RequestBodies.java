package dev.bitsbridge.proxy.server;

import dev.bitsbridge.proxy.endpoint.ClientResponse;
import dev.bitsbridge.proxy.endpoint.RequestBodySink;
import dev.bitsbridge.proxy.endpoint.Transfer;
import dev.bitsbridge.proxy.error.BridgeError;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * What happens to a request's body, one small strategy per kind of request: dropped (GET, HEAD
 * and refused requests, up to a limit), collected whole for the proxy's own endpoints (small JSON
 * bodies), or streamed to an upload's sink (which asks for each next piece). The connection's
 * read loop hands every body piece to the request's strategy and knows nothing else of bodies.
 *
 * <p>Threading: confined to the connection's event loop. Buffer ownership: {@link Body#onContent}
 * takes the content and releases it (or passes its buffer on to a sink, which then owns it).
 */
final class RequestBodies {

    /** A GET or HEAD body is read and dropped, up to this much; more closes the connection. */
    static final long MAX_DISCARDED_BODY = 1024 * 1024;
    /** The proxy's own endpoints take small JSON bodies, read whole before they are called. */
    static final int MAX_ENDPOINT_BODY = 64 * 1024;

    private RequestBodies() {
    }

    /** What a body strategy needs from the read loop. */
    interface Reader {
        /** Reads the next piece of this request. */
        void more(ChannelHandlerContext ctx);

        /** The body was read whole (the slow-body rule stops measuring it). */
        void complete(ChannelHandlerContext ctx);

        /** Takes the next request if the response is already complete. */
        void nextIfAnswered(ChannelHandlerContext ctx);

        /** The connection cannot be kept: the body was refused. */
        void closeConnection(ChannelHandlerContext ctx);

        /** The request started {@code transfer}: cancelled if the client leaves. */
        void transferStarted(Transfer transfer);
    }

    /** One request's body. */
    interface Body {
        /** A piece of the body (the last one is a {@link LastHttpContent}); owns {@code content}. */
        void onContent(ChannelHandlerContext ctx, HttpContent content);

        /**
         * The request came whole in one message with its head ({@code request} is also its last
         * content); the caller still owns and releases it.
         */
        void onWholeRequest(ChannelHandlerContext ctx, HttpContent request);

        /** The connection closed before the body ended: release what is held. */
        void onClose();
    }

    /** Read and dropped; over {@link #MAX_DISCARDED_BODY} the request is refused and the connection closed. */
    static Body discard(Reader reader, ClientResponse response) {
        return new Body() {
            private long discarded;

            @Override
            public void onContent(ChannelHandlerContext ctx, HttpContent content) {
                discarded += content.content().readableBytes();
                boolean last = content instanceof LastHttpContent;
                content.release();
                if (discarded > MAX_DISCARDED_BODY) {
                    if (!response.headSent()) {
                        response.error(BridgeError.PAYLOAD_TOO_LARGE, "GET and HEAD requests take no body");
                    }
                    reader.closeConnection(ctx);
                    return;
                }
                if (last) {
                    reader.complete(ctx);
                    reader.nextIfAnswered(ctx);
                } else {
                    reader.more(ctx);
                }
            }

            @Override
            public void onWholeRequest(ChannelHandlerContext ctx, HttpContent request) {
                // nothing to drop: the answer does not depend on it
            }

            @Override
            public void onClose() {
            }
        };
    }

    /** What an endpoint does with its whole body. */
    interface Endpoint {
        Transfer handle(HttpRequest req, String rawPath, CompositeByteBuf body, ClientResponse out);
    }

    /**
     * Collected up to {@link #MAX_ENDPOINT_BODY}, then the endpoint is called with it (the body is
     * released when the call returns: endpoints copy what they keep).
     */
    static Body collect(Reader reader, ClientResponse response, HttpRequest req, String rawPath,
            CompositeByteBuf buffer, Endpoint endpoint) {
        return new Body() {
            private CompositeByteBuf body = buffer;

            @Override
            public void onContent(ChannelHandlerContext ctx, HttpContent content) {
                if (body == null) {
                    content.release(); // answered already (too large)
                    return;
                }
                int n = content.content().readableBytes();
                if (body.readableBytes() + n > MAX_ENDPOINT_BODY) {
                    content.release();
                    onClose();
                    response.error(BridgeError.PAYLOAD_TOO_LARGE, "request body over " + MAX_ENDPOINT_BODY + " bytes");
                    reader.closeConnection(ctx);
                    return;
                }
                if (n > 0) {
                    body.addComponent(true, content.content().retain());
                }
                boolean last = content instanceof LastHttpContent;
                content.release();
                if (!last) {
                    reader.more(ctx);
                    return;
                }
                reader.complete(ctx);
                CompositeByteBuf whole = body;
                body = null;
                try {
                    reader.transferStarted(endpoint.handle(req, rawPath, whole, response));
                } finally {
                    whole.release();
                }
            }

            @Override
            public void onWholeRequest(ChannelHandlerContext ctx, HttpContent request) {
                onContent(ctx, request.retain());
            }

            @Override
            public void onClose() {
                if (body != null) {
                    body.release();
                    body = null;
                }
            }
        };
    }

    /** Streamed to {@code sink}, which asks for each next piece: a slow disk or S3 slows the client. */
    static Body stream(Reader reader, RequestBodySink sink) {
        return new Body() {
            private RequestBodySink open = sink;

            @Override
            public void onContent(ChannelHandlerContext ctx, HttpContent content) {
                RequestBodySink s = open;
                if (s == null) {
                    content.release();
                    return;
                }
                boolean last = content instanceof LastHttpContent;
                if (last) {
                    open = null;
                    reader.complete(ctx);
                }
                // The sink asks for more when it has dealt with this piece; until then nothing is read.
                s.onContent(content.content().retain(), last, () -> ctx.executor().execute(() -> reader.more(ctx)));
                content.release();
                if (last) {
                    reader.nextIfAnswered(ctx);
                }
            }

            @Override
            public void onWholeRequest(ChannelHandlerContext ctx, HttpContent request) {
                // No body follows the head: the sink still sees its end.
                RequestBodySink s = open;
                open = null;
                if (s != null) {
                    s.onContent(io.netty.buffer.Unpooled.EMPTY_BUFFER, true, () -> { });
                }
            }

            @Override
            public void onClose() {
                if (open != null) {
                    open.onAbort();
                    open = null;
                }
            }
        };
    }
}
