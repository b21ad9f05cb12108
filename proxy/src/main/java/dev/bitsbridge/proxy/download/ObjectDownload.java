package dev.bitsbridge.proxy.download;

import dev.bitsbridge.proxy.error.BridgeError;
import dev.bitsbridge.proxy.http.ByteRange;
import dev.bitsbridge.proxy.http.ContentRange;
import dev.bitsbridge.proxy.http.ObjectMetadata;
import dev.bitsbridge.proxy.http.Preconditions.Outcome;
import dev.bitsbridge.proxy.http.RangeHeader;
import dev.bitsbridge.proxy.http.RangeSpec;
import dev.bitsbridge.proxy.http.ResponseHeaders;
import dev.bitsbridge.proxy.s3.S3Caller;
import dev.bitsbridge.proxy.s3.S3Request;
import dev.bitsbridge.proxy.s3.S3Target;
import dev.bitsbridge.proxy.upstream.UpstreamExchange;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * A HEAD, or a GET of the whole object or of one range: one S3 request (signed for the same
 * method), its answer checked and relayed.
 *
 * <p>The range goes to S3 as the client wrote it, so S3 does the clipping and no extra request is
 * needed; the answer's Content-Range is then checked against what the proxy itself computes. If
 * S3 sent more than asked (a whole object, a wider range) the proxy slices; if it sent something
 * else it asks once more for the exact absolute range. Conditionals go to S3 too, and are
 * evaluated again here on S3's validators. If-Range is decided here, never sent: on a mismatch
 * the range request is dropped and the whole object fetched.
 *
 * <p>Threading: confined to the client's event loop.
 */
final class ObjectDownload implements Transfer, S3Caller.Callback {

    enum State {
        REQUESTING,
        STREAMING,
        DONE
    }

    private final DownloadContext context;
    private final ClientResponse out;
    private final S3Target target;
    private DownloadRequest request;
    private State state = State.REQUESTING;
    private S3Caller.Call call;
    private UpstreamExchange exchange;
    private BodyRelay relay;
    private boolean absoluteRetried;

    ObjectDownload(DownloadContext context, ClientResponse out, S3Target target, DownloadRequest request) {
        this.context = context;
        this.out = out;
        this.target = target;
        this.request = request;
    }

    void start() {
        send(request.range().isPresent() ? request.range().specs().get(0).toHeaderValue() : null);
    }

    private void send(String rangeHeader) {
        S3Request r = S3Request.of(request.head() ? "HEAD" : "GET", target);
        r.headers().set(request.forwardedConditionals());
        if (rangeHeader != null) {
            r.header(HttpHeaderNames.RANGE, rangeHeader);
        }
        state = State.REQUESTING;
        call = context.caller().call(out.ctx().channel().eventLoop(), r, this);
    }

    @Override
    public void onResponse(UpstreamExchange ex, HttpResponse head) {
        exchange = ex;
        if (state == State.DONE) {
            ex.abort();
            return;
        }
        int status = head.status().code();
        switch (status) {
            case 200, 206 -> onObject(ex, head);
            case 304 -> {
                Drain.drain(ex);
                finishWith(() -> UpstreamReplies.conditional(out, HttpResponseStatus.NOT_MODIFIED,
                        UpstreamReplies.metadata(head)));
            }
            case 412 -> {
                Drain.drain(ex);
                finishWith(() -> UpstreamReplies.conditional(out, HttpResponseStatus.PRECONDITION_FAILED,
                        UpstreamReplies.metadata(head)));
            }
            case 416 -> ErrorBodyReader.read(ex, body -> {
                long size = UpstreamReplies.unsatisfiedSize(head, body);
                if (size >= 0) {
                    finishWith(() -> UpstreamReplies.unsatisfiable(out, size));
                } else {
                    probeSizeFor416();
                }
            });
            default -> {
                state = State.DONE;
                UpstreamReplies.error(out, ex, head);
            }
        }
    }

    private void onObject(UpstreamExchange ex, HttpResponse head) {
        ObjectMetadata meta = UpstreamReplies.metadata(head);
        if (meta.size() < 0) {
            ex.abort();
            finishWith(() -> out.error(BridgeError.UPSTREAM_ERROR, "S3 did not say how large the object is"));
            return;
        }
        Outcome outcome = request.preconditions().evaluate(meta.etag(), meta.lastModified());
        if (outcome != Outcome.PROCEED) {
            ex.abort();
            HttpResponseStatus s = outcome == Outcome.NOT_MODIFIED
                    ? HttpResponseStatus.NOT_MODIFIED : HttpResponseStatus.PRECONDITION_FAILED;
            finishWith(() -> UpstreamReplies.conditional(out, s, meta));
            return;
        }
        if (request.head()) {
            Drain.drain(ex);
            finishWith(() -> out.head(HttpResponseStatus.OK, ResponseHeaders.whole(meta)));
            return;
        }
        ContentRange got = head.status().code() == 206
                ? ContentRange.parse(head.headers().get(HttpHeaderNames.CONTENT_RANGE)) : null;
        long bodyStart = got == null ? 0 : got.range().first();
        long bodyLength = got == null ? meta.size() : got.range().length();

        if (!request.range().isPresent()) {
            if (got != null) {
                ex.abort(); // asked for everything, got a part: never pass that off as whole
                finishWith(() -> out.error(BridgeError.UPSTREAM_ERROR, "S3 answered a whole-object GET with 206"));
                return;
            }
            stream(ex, HttpResponseStatus.OK, ResponseHeaders.whole(meta), 0, meta.size());
            return;
        }
        if (!request.preconditions().rangeApplies(meta.etag(), meta.lastModified())) {
            // If-Range failed: the client's partial copy is stale, send the whole new object.
            if (got == null) {
                stream(ex, HttpResponseStatus.OK, ResponseHeaders.whole(meta), 0, meta.size());
            } else {
                ex.abort();
                request = request.withoutRange();
                send(null);
            }
            return;
        }
        RangeSpec spec = request.range().specs().get(0);
        ByteRange want = spec.resolve(meta.size());
        if (want == null) {
            ex.abort();
            finishWith(() -> UpstreamReplies.unsatisfiable(out, meta.size()));
            return;
        }
        boolean covers = want.first() >= bodyStart && want.last() < bodyStart + bodyLength;
        if (!covers) {
            ex.abort();
            if (absoluteRetried) {
                finishWith(() -> out.error(BridgeError.UPSTREAM_ERROR, "S3 answered with another range than asked"));
                return;
            }
            absoluteRetried = true;
            send(want.rangeHeader());
            return;
        }
        stream(ex, HttpResponseStatus.PARTIAL_CONTENT, ResponseHeaders.partial(meta, want),
                want.first() - bodyStart, want.length());
    }

    private void stream(UpstreamExchange ex, HttpResponseStatus status, io.netty.handler.codec.http.HttpHeaders headers,
            long skip, long length) {
        state = State.STREAMING;
        out.head(status, headers);
        relay = new BodyRelay(out, skip, length, () -> {
            state = State.DONE;
            out.finish();
        });
        relay.start(ex);
    }

    /** A 416 without a size: ask S3 for the size with a HEAD, then answer. */
    private void probeSizeFor416() {
        S3Request r = S3Request.of("HEAD", target);
        call = context.caller().call(out.ctx().channel().eventLoop(), r, new S3Caller.Callback() {
            @Override
            public void onResponse(UpstreamExchange ex, HttpResponse head) {
                Drain.drain(ex);
                long size = head.status().code() == 200 ? UpstreamReplies.metadata(head).size() : -1;
                finishWith(() -> {
                    if (size >= 0) {
                        UpstreamReplies.unsatisfiable(out, size);
                    } else {
                        out.error(BridgeError.RANGE_NOT_SATISFIABLE, null);
                    }
                });
            }

            @Override
            public void onError(BridgeError error, String detail) {
                ObjectDownload.this.onError(error, detail);
            }
        });
    }

    @Override
    public void onError(BridgeError error, String detail) {
        finishWith(() -> UpstreamReplies.failed(out, error, detail));
    }

    private void finishWith(Runnable respond) {
        if (state == State.DONE) {
            return;
        }
        state = State.DONE;
        respond.run();
    }

    @Override
    public void cancel() {
        state = State.DONE;
        if (call != null) {
            call.cancel();
        }
        if (relay != null && exchange != null) {
            relay.cancel(exchange);
        } else if (exchange != null && !exchange.isDone()) {
            exchange.abort();
        }
    }

    /** Runs a single-range download for the multi-range path (narrowed to one range). */
    static ObjectDownload single(DownloadContext context, ClientResponse out, S3Target target, DownloadRequest request,
            ByteRange range, String etag) {
        return new ObjectDownload(context, out, target,
                request.pinned(RangeHeader.single(RangeSpec.closed(range.first(), range.last())), etag));
    }
}
