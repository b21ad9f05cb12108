package dev.bitsbridge.proxy.download;

import dev.bitsbridge.proxy.endpoint.ClientResponse;
import dev.bitsbridge.proxy.endpoint.Transfer;

import dev.bitsbridge.proxy.error.BridgeError;
import dev.bitsbridge.proxy.http.ByteRange;
import dev.bitsbridge.proxy.http.ContentRange;
import dev.bitsbridge.proxy.http.ObjectMetadata;
import dev.bitsbridge.proxy.http.PartPlan;
import dev.bitsbridge.proxy.http.Preconditions.Outcome;
import dev.bitsbridge.proxy.http.RangeHeader;
import dev.bitsbridge.proxy.http.RangeSpec;
import dev.bitsbridge.proxy.http.ResponseHeaders;
import dev.bitsbridge.proxy.s3.S3Caller;
import dev.bitsbridge.proxy.upstream.Drain;
import dev.bitsbridge.proxy.upstream.UpstreamExchange;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * A HEAD, or a GET of the whole object or of one range: one upstream request (for the same
 * method, or a one-byte ranged GET where the source allows only GET), its answer checked and
 * relayed.
 *
 * <p>The range goes upstream as the client wrote it, so S3 does the clipping and no extra request
 * is needed; the answer's Content-Range is then checked against what the proxy itself computes. If
 * S3 sent more than asked (a whole object, a wider range) the proxy slices; if it sent something
 * else it asks once more for the exact absolute range. Conditionals are decided here alone, on
 * the answer's validators (see {@link DownloadRequest}); If-Range too: on a mismatch the range
 * request is dropped and the whole object fetched. An expired presigned URL is replaced once, when
 * the source can do that.
 *
 * <p>The upstream is not trusted to be S3: an answer that contradicts itself (a 206 whose
 * Content-Range does not parse or disagrees with its Content-Length, a 416 for a range the object
 * has) is checked against the object's metadata from a HEAD, and the proxy answers by its own
 * rules: 416 {@code bytes *}{@code /0} for any range of an empty object, else a 502 saying what was
 * wrong, never bytes that look complete but are not. The HEAD of a missing or forbidden object
 * asks again with a one-byte GET so its answer (status, Content-Length) is the GET's.
 *
 * <p>Threading: confined to the client's event loop.
 */
final class ObjectDownload implements Transfer, S3Caller.Callback {

    enum State {
        REQUESTING,
        STREAMING,
        DONE
    }

    private final ClientResponse out;
    private final ObjectSource source;
    private DownloadRequest request;
    private State state = State.REQUESTING;
    private S3Caller.Call call;
    private UpstreamExchange exchange;
    private BodyRelay relay;
    private boolean absoluteRetried;
    private boolean refreshed;
    private boolean headEmulated;
    /** A HEAD got an error: asked again as a GET, whose error document is what a GET would say. */
    private boolean getForHead;
    private String lastRange;
    private ReadAhead readAhead = ReadAhead.OFF;
    private ParallelDownload parallel;

    ObjectDownload(ClientResponse out, ObjectSource source, DownloadRequest request) {
        this.out = out;
        this.source = source;
        this.request = request;
    }

    /** Large bodies are fetched as parallel ranged GETs with these settings. */
    ObjectDownload readAhead(ReadAhead settings) {
        this.readAhead = settings;
        return this;
    }

    void start() {
        send(request.range().isPresent() ? request.range().specs().get(0).toHeaderValue() : null, false);
    }

    private void send(String rangeHeader, boolean fresh) {
        state = State.REQUESTING;
        lastRange = rangeHeader;
        headEmulated = request.head() && (source.headViaRangedGet() || getForHead);
        String method = request.head() && !headEmulated ? "HEAD" : "GET";
        Sources.request(source, method, fresh, out, r -> {
            if (state == State.DONE) {
                return;
            }
            r.headers().set(request.forwardedConditionals());
            if (headEmulated) {
                r.header(HttpHeaderNames.RANGE, "bytes=0-0");
            } else if (rangeHeader != null) {
                r.header(HttpHeaderNames.RANGE, rangeHeader);
            }
            call = source.caller().call(out.ctx().channel().eventLoop(), r, this);
        }, this::onError);
    }

    @Override
    public void onResponse(UpstreamExchange ex, HttpResponse head) {
        out.upstreamHead(head);
        exchange = ex;
        if (state == State.DONE) {
            ex.abort();
            return;
        }
        int status = head.status().code();
        if (headEmulated) {
            onEmulatedHead(ex, head);
            return;
        }
        switch (status) {
            case 200, 206 -> onObject(ex, head);
            case 304, 412 -> upstreamConditional(ex, head);
            case 416 -> ErrorBodyReader.read(ex, body -> {
                long size = UpstreamReplies.unsatisfiedSize(head, body);
                RangeSpec spec = request.range().isPresent() ? request.range().specs().get(0) : null;
                if (size >= 0 && request.preconditions().isEmpty() && spec != null && spec.resolve(size) == null) {
                    finishWith(() -> UpstreamReplies.unsatisfiable(out, size));
                } else {
                    // No size, conditions to decide first, or a 416 the size does not explain.
                    probeAndDecide("S3 refused a range the object has (416 for " + lastRange + ")");
                }
            });
            default -> onError(ex, head);
        }
    }

    /** A HEAD answered from a one-byte GET: the size is Content-Range's total. */
    private void onEmulatedHead(UpstreamExchange ex, HttpResponse head) {
        int status = head.status().code();
        if (status == 206 || status == 200) {
            ObjectMetadata meta = UpstreamReplies.metadata(head);
            if (status == 200) {
                ex.abort(); // the whole object is coming: do not read it for a HEAD
            } else {
                Drain.drain(ex);
            }
            respondHead(meta);
        } else if (status == 416) {
            // S3 answers a range of an empty object with 416 bytes */0: that object exists and is empty.
            ErrorBodyReader.read(ex, body -> {
                long size = UpstreamReplies.unsatisfiedSize(head, body);
                ObjectMetadata m = UpstreamReplies.metadata(head);
                // The 416 is an error document: its Content-Type is not the object's.
                respondHead(new ObjectMetadata(Math.max(size, 0), m.etag(), m.lastModified(), null));
            });
        } else if (status == 304 || status == 412) {
            upstreamConditional(ex, head);
        } else {
            onError(ex, head);
        }
    }

    private void respondHead(ObjectMetadata meta) {
        if (answeredBeforeRanges(meta)) {
            return;
        }
        finishWith(() -> out.head(HttpResponseStatus.OK, ResponseHeaders.whole(meta)));
    }

    private void onObject(UpstreamExchange ex, HttpResponse head) {
        ObjectMetadata meta = UpstreamReplies.metadata(head);
        if (meta.size() < 0 && head.status().code() == 206) {
            ex.abort();
            probeAndDecide(UpstreamChecks.partialProblem(head,
                    ContentRange.parse(head.headers().get(HttpHeaderNames.CONTENT_RANGE))));
            return;
        }
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
        ContentRange got = null;
        if (head.status().code() == 206) {
            got = ContentRange.parse(head.headers().get(HttpHeaderNames.CONTENT_RANGE));
            String why = UpstreamChecks.partialProblem(head, got);
            if (why != null) {
                ex.abort();
                probeAndDecide(why);
                return;
            }
        }
        long bodyStart = got == null ? 0 : got.range().first();
        long bodyLength = got == null ? meta.size() : got.range().length();

        if (!request.range().isPresent()) {
            if (got != null) {
                ex.abort(); // asked for everything, got a part: never pass that off as whole
                finishWith(() -> out.error(BridgeError.UPSTREAM_ERROR, "S3 answered a whole-object GET with 206"));
                return;
            }
            stream(ex, HttpResponseStatus.OK, ResponseHeaders.whole(meta), 0, 0, meta.size(), meta.size());
            return;
        }
        if (!request.preconditions().rangeApplies(meta.etag(), meta.lastModified())) {
            // If-Range failed: the client's partial copy is stale, send the whole new object.
            if (got == null) {
                stream(ex, HttpResponseStatus.OK, ResponseHeaders.whole(meta), 0, 0, meta.size(), meta.size());
            } else {
                ex.abort();
                request = request.withoutRange();
                send(null, false);
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
            send(want.rangeHeader(), false);
            return;
        }
        stream(ex, HttpResponseStatus.PARTIAL_CONTENT, ResponseHeaders.partial(meta, want),
                want.first() - bodyStart, want.first(), want.length(), meta.size());
    }

    /**
     * Sends the head, then relays {@code length} bytes of the upstream body after skipping
     * {@code skip}; they are the object's bytes from {@code first} (of {@code size}).
     */
    private void stream(UpstreamExchange ex, HttpResponseStatus status, HttpHeaders headers, long skip, long first,
            long length, long size) {
        state = State.STREAMING;
        out.delivering(first, size);
        out.head(status, headers);
        String etag = headers.get(HttpHeaderNames.ETAG);
        if (readAhead.splits(length) && etag != null) {
            parallel = new ParallelDownload(out, source, readAhead, etag, size,
                    new PartPlan(first, length, readAhead.partSize()), () -> {
                        state = State.DONE;
                        out.finish();
                    });
            parallel.start(ex, skip);
            return;
        }
        relay = new BodyRelay(out, skip, length, () -> {
            state = State.DONE;
            out.finish();
        });
        relay.start(ex);
    }

    /** An S3 error: an expired presigned URL is replaced once if the source can; the rest is mapped. */
    private void onError(UpstreamExchange ex, HttpResponse head) {
        if (request.head() && !headEmulated && head.status().code() < 500) {
            // A HEAD's error has no body, so its message (and Content-Length) would differ from
            // the GET's: ask as a GET once, and answer what the GET would (without the body).
            Drain.drain(ex);
            getForHead = true;
            send(null, false);
            return;
        }
        if (head.status().code() != 403) {
            state = State.DONE;
            UpstreamReplies.error(out, ex, head, source.object());
            return;
        }
        ErrorBodyReader.read(ex, body -> {
            if (state == State.DONE) {
                return;
            }
            if (UpstreamReplies.expired(body)) {
                if (source.refreshable() && !refreshed) {
                    refreshed = true;
                    send(lastRange, true);
                    return;
                }
                if (source.expiredMessage() != null) {
                    finishWith(() -> out.error(BridgeError.ACCESS_DENIED, source.expiredMessage()));
                    return;
                }
            }
            finishWith(() -> UpstreamReplies.errorFromBody(out, head, body, source.object()));
        });
    }

    /** S3 answered 304 or 412: only the proxy's own pin asks for that; anything else is not S3's to decide. */
    private void upstreamConditional(UpstreamExchange ex, HttpResponse head) {
        Drain.drain(ex);
        int status = head.status().code();
        if (status == 412 && request.isPinned()) {
            // The object changed since the proxy learnt its ETag: the pin did its job.
            finishWith(() -> UpstreamReplies.conditional(out, HttpResponseStatus.PRECONDITION_FAILED,
                    UpstreamReplies.metadata(head)));
        } else {
            finishWith(() -> out.error(BridgeError.UPSTREAM_ERROR,
                    "S3 answered " + status + " to a request without conditions"));
        }
    }

    /**
     * The upstream's answer cannot be used as it is: learn the object's metadata with a HEAD (or
     * its one-byte GET emulation) and answer from that by the proxy's own rules.
     *
     * @param why what was wrong with the answer, for the 502 if the metadata does not explain it
     */
    private void probeAndDecide(String why) {
        boolean emulate = source.headViaRangedGet();
        state = State.REQUESTING;
        Sources.request(source, emulate ? "GET" : "HEAD", false, out, r -> {
            if (state == State.DONE) {
                return;
            }
            if (emulate) {
                r.header(HttpHeaderNames.RANGE, "bytes=0-0");
            }
            call = source.caller().call(out.ctx().channel().eventLoop(), r, new S3Caller.Callback() {
                @Override
                public void onResponse(UpstreamExchange ex, HttpResponse head) {
                    out.upstreamHead(head);
                    exchange = ex;
                    int s = head.status().code();
                    if (s == 200 || s == 206) {
                        if (s == 200 && emulate) {
                            ex.abort();
                        } else {
                            Drain.drain(ex);
                        }
                        decideFromMetadata(UpstreamReplies.metadata(head), why);
                    } else if (s == 416 && emulate) {
                        // A one-byte range of an empty object: it exists and is empty.
                        Drain.drain(ex);
                        decideFromMetadata(UpstreamReplies.metadata(head).withSize(0), why);
                    } else if (s == 304 || s == 412) {
                        upstreamConditional(ex, head);
                    } else {
                        finishWith(() -> UpstreamReplies.error(out, ex, head, source.object()));
                    }
                }

                @Override
                public void onError(BridgeError error, String detail) {
                    ObjectDownload.this.onError(error, detail);
                }
            });
        }, this::onError);
    }

    /**
     * The answers the metadata alone decides, before any range: an object of unknown size (502)
     * and the client's conditionals (304, 412). Returns whether it answered.
     */
    private boolean answeredBeforeRanges(ObjectMetadata meta) {
        if (meta.size() < 0) {
            finishWith(() -> out.error(BridgeError.UPSTREAM_ERROR, "S3 did not say how large the object is"));
            return true;
        }
        Outcome outcome = request.preconditions().evaluate(meta.etag(), meta.lastModified());
        if (outcome != Outcome.PROCEED) {
            finishWith(() -> UpstreamReplies.conditional(out, outcome == Outcome.NOT_MODIFIED
                    ? HttpResponseStatus.NOT_MODIFIED : HttpResponseStatus.PRECONDITION_FAILED, meta));
            return true;
        }
        return false;
    }

    /** Answers without a body from the object's metadata: conditionals, then the range. */
    private void decideFromMetadata(ObjectMetadata meta, String why) {
        if (answeredBeforeRanges(meta)) {
            return;
        }
        boolean ranged = request.range().isPresent() && request.preconditions().rangeApplies(meta.etag(),
                meta.lastModified());
        if (ranged && request.range().specs().get(0).resolve(meta.size()) == null) {
            finishWith(() -> UpstreamReplies.unsatisfiable(out, meta.size()));
        } else if (!ranged && meta.size() == 0) {
            // An empty object whose GET came back garbled: its whole body is known to be nothing.
            finishWith(() -> {
                out.head(HttpResponseStatus.OK, ResponseHeaders.whole(meta));
                out.finish();
            });
        } else {
            finishWith(() -> out.error(BridgeError.UPSTREAM_ERROR, why));
        }
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
        if (parallel != null) {
            parallel.cancel();
        }
        if (relay != null && exchange != null) {
            relay.cancel(exchange);
        } else if (exchange != null && !exchange.isDone()) {
            exchange.abort();
        }
    }

    /** A single-range download for the multi-range path, pinned to the ETag its HEAD saw. */
    static ObjectDownload single(ClientResponse out, ObjectSource source, DownloadRequest request, ByteRange range,
            String etag) {
        return new ObjectDownload(out, source,
                request.pinned(RangeHeader.single(RangeSpec.closed(range.first(), range.last())), etag));
    }
}
