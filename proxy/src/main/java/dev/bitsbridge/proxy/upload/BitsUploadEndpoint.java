package dev.bitsbridge.proxy.upload;

import dev.bitsbridge.proxy.endpoint.ClientResponse;
import dev.bitsbridge.proxy.http.RequestPath.InvalidPathException;
import dev.bitsbridge.proxy.s3.KeyMapper;
import dev.bitsbridge.proxy.s3.S3Location;
import dev.bitsbridge.proxy.endpoint.RequestBodySink;
import dev.bitsbridge.proxy.endpoint.StreamingEndpoint;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code BITS_POST}: reads the packet type and answers every packet with an Ack
 * ({@code BITS-Packet-Type: Ack}, {@code Content-Length: 0}), errors with {@code BITS-Error-Code}
 * and {@code BITS-Error-Context}. Fragment bodies stream to {@link FragmentWriter} one buffer at a
 * time. The protocol logic lives in {@link UploadService}; this class only translates.
 *
 * <p>Threading: {@link #start} and the sinks run on the client's event loop; service futures
 * complete on upload threads and their answers are written from the event loop.
 */
public final class BitsUploadEndpoint implements StreamingEndpoint {

    private static final Logger log = LoggerFactory.getLogger(BitsUploadEndpoint.class);

    private final UploadService service;
    private final KeyMapper keyMapper;

    public BitsUploadEndpoint(UploadService service, KeyMapper keyMapper) {
        this.service = service;
        this.keyMapper = keyMapper;
    }

    /** The endpoint while uploads are off: 501 with E_ACCESSDENIED, as the protocol defines. */
    public static StreamingEndpoint disabled() {
        return (req, rawPath, out) -> {
            respond(out, req, Reply.fail(BitsError.UPLOADS_DISABLED,
                    "BITS uploads are not enabled on this proxy (serve --allow-upload)"));
            return null;
        };
    }

    @Override
    public RequestBodySink start(HttpRequest req, String rawPath, ClientResponse out) {
        return start(req, rawPath, null, out);
    }

    /** @param shareLinkId the id of the share link the request was admitted with, or null: sessions are bound to it */
    @Override
    public RequestBodySink start(HttpRequest req, String rawPath, String shareLinkId, ClientResponse out) {
        BitsPacketType type = BitsPacketType.parse(req.headers().get("BITS-Packet-Type"));
        if (type == null) {
            respond(out, req, Reply.fail(BitsError.INVALID_ARG, "missing or unknown BITS-Packet-Type"));
            return null;
        }
        String session = req.headers().get("BITS-Session-Id");
        if (type == BitsPacketType.PING) {
            respond(out, req, Reply.ok(Map.of()));
            return null;
        }
        // Every other packet names the object: a session is bound to the one it was created for.
        S3Location loc;
        try {
            loc = keyMapper.map(rawPath);
        } catch (InvalidPathException e) {
            respond(out, req, Reply.fail(BitsError.ACCESS_DENIED, e.getMessage()));
            return null;
        }
        switch (type) {
            case CREATE_SESSION -> answerLater(out, req,
                    service.createSession(loc, req.headers().get("BITS-Supported-Protocols"), shareLinkId));
            case FRAGMENT -> {
                FragmentRange range = FragmentRange.parse(req.headers().get(HttpHeaderNames.CONTENT_RANGE));
                long length = HttpUtil.getContentLength(req, -1L);
                return new FragmentSink(out, req, service.beginFragment(session, loc, shareLinkId, range, length));
            }
            case CLOSE_SESSION -> answerLater(out, req, service.closeSession(session, loc, shareLinkId));
            case CANCEL_SESSION -> answerLater(out, req, service.cancelSession(session, loc, shareLinkId));
            default -> respond(out, req, Reply.ok(Map.of()));
        }
        return null;
    }

    private static void answerLater(ClientResponse out, HttpRequest req, CompletableFuture<Reply> reply) {
        out.onLoop(reply, (r, err) -> respond(out, req, r != null ? r : internal(err)));
    }

    private static Reply internal(Throwable err) {
        log.error("upload step failed", err);
        return Reply.fail(BitsError.INTERNAL, "internal error");
    }

    static void respond(ClientResponse out, HttpRequest req, Reply reply) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                reply.error() == null ? HttpResponseStatus.OK : reply.error().status());
        r.headers().set("BITS-Packet-Type", "Ack");
        for (Map.Entry<String, String> h : reply.headers().entrySet()) {
            if (h.getKey().equals(FragmentWriter.REPLY_MARKER)) {
                r.headers().set("BITS-Reply-URL", out.publicBase() + h.getValue());
            } else {
                r.headers().set(h.getKey(), h.getValue());
            }
        }
        if (reply.error() != null) {
            r.headers().set("BITS-Error-Code", reply.error().code());
            r.headers().set("BITS-Error-Context", reply.error().context());
            if (reply.message() != null) {
                // Not part of the protocol: for people reading traces.
                r.headers().set("X-Bitsbridge-Error", reply.message().replaceAll("[\\r\\n]", " "));
            }
        }
        r.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0);
        out.full(r);
    }

    /**
     * A fragment's body: held until the session said what to do with it, then written one buffer
     * at a time (the next is asked for once the previous is on disk), or read and dropped when
     * the answer is already known.
     */
    private static final class FragmentSink implements RequestBodySink {
        private final ClientResponse out;
        private final HttpRequest req;
        private FragmentWriter writer;
        private Reply failed;
        private ByteBuf pending;
        private boolean pendingLast;
        private Runnable pendingMore;
        private boolean aborted;

        FragmentSink(ClientResponse out, HttpRequest req, CompletableFuture<FragmentWriter> plan) {
            this.out = out;
            this.req = req;
            out.onLoop(plan, (w, err) -> {
                writer = w != null ? w : FragmentWriter.answer(internal(err));
                if (aborted) {
                    writer.abandon();
                    return;
                }
                if (pending != null) {
                    ByteBuf d = pending;
                    pending = null;
                    process(d, pendingLast, pendingMore);
                }
            });
        }

        @Override
        public void onContent(ByteBuf data, boolean last, Runnable more) {
            if (writer == null) {
                pending = data; // at most one: no more is read until this one is processed
                pendingLast = last;
                pendingMore = more;
                return;
            }
            process(data, last, more);
        }

        private void process(ByteBuf data, boolean last, Runnable more) {
            Reply known = failed != null ? failed : writer.immediate();
            if (known != null) {
                data.release();
                if (last) {
                    respond(out, req, known);
                } else {
                    more.run();
                }
                return;
            }
            out.onLoop(writer.write(data), (v, err) -> {
                if (err != null) {
                    log.error("writing an upload fragment failed: {}", err.toString());
                    failed = Reply.fail(BitsError.DISK_FULL, "the fragment could not be stored");
                    writer.abandon();
                    if (last) {
                        respond(out, req, failed);
                    } else {
                        more.run(); // drain the rest, then answer
                    }
                    return;
                }
                if (last) {
                    out.onLoop(writer.finish(), (r, e) -> respond(out, req, r != null ? r : internal(e)));
                } else {
                    more.run();
                }
            });
        }

        @Override
        public void onAbort() {
            aborted = true;
            if (pending != null) {
                pending.release();
                pending = null;
            }
            if (writer != null) {
                writer.abandon();
            }
        }
    }
}
