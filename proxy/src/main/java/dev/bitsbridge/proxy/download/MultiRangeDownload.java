package dev.bitsbridge.proxy.download;

import dev.bitsbridge.proxy.endpoint.ClientResponse;
import dev.bitsbridge.proxy.endpoint.Transfer;

import dev.bitsbridge.proxy.error.BridgeError;
import dev.bitsbridge.proxy.http.ByteRange;
import dev.bitsbridge.proxy.http.ContentRange;
import dev.bitsbridge.proxy.http.MultipartByteranges;
import dev.bitsbridge.proxy.http.ObjectMetadata;
import dev.bitsbridge.proxy.http.RangeHeader;
import dev.bitsbridge.proxy.http.Preconditions.Outcome;
import dev.bitsbridge.proxy.http.ResponseHeaders;
import dev.bitsbridge.proxy.s3.S3Caller;
import dev.bitsbridge.proxy.upstream.Drain;
import dev.bitsbridge.proxy.upstream.UpstreamExchange;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.List;

/**
 * A GET with several ranges, answered {@code 206 multipart/byteranges} with the parts in request
 * order. S3 serves one range per request, so: a HEAD (or a one-byte GET) for the size and ETag, then one ranged GET
 * per part, in turn, each pinned to that ETag with {@code If-Match} so every part comes from the
 * same version of the object. If the object changes between parts, or a part fails, the client
 * connection is closed: the headers (and exact Content-Length) are already out.
 *
 * <p>Threading: confined to the client's event loop.
 */
final class MultiRangeDownload implements Transfer, S3Caller.Callback {

    private final ClientResponse out;
    private final ObjectSource source;
    private final DownloadRequest request;
    private ObjectMetadata meta;
    private MultipartByteranges body;
    private int part;
    private boolean cancelled;
    private S3Caller.Call call;
    private UpstreamExchange exchange;
    private BodyRelay relay;
    private Transfer delegate;

    MultiRangeDownload(ClientResponse out, ObjectSource source, DownloadRequest request) {
        this.out = out;
        this.source = source;
        this.request = request;
    }

    void start() {
        // The size and ETag first: a HEAD, or a one-byte GET where the source allows only GET.
        boolean emulate = source.headViaRangedGet();
        Sources.request(source, emulate ? "GET" : "HEAD", false, out, r -> {
            if (cancelled) {
                return;
            }
            r.headers().set(request.forwardedConditionals());
            if (emulate) {
                r.header(HttpHeaderNames.RANGE, "bytes=0-0");
            }
            call = source.caller().call(out.ctx().channel().eventLoop(), r, this);
        }, this::onError);
    }

    @Override
    public void onResponse(UpstreamExchange ex, HttpResponse head) {
        out.upstreamHead(head);
        if (cancelled) {
            ex.abort();
            return;
        }
        int status = head.status().code();
        if (status == 304 || status == 412) {
            // The HEAD carried no conditions (the proxy decides them below): not S3's to refuse.
            Drain.drain(ex);
            out.error(BridgeError.UPSTREAM_ERROR, "S3 answered " + status + " to a request without conditions");
            return;
        }
        if (status == 416 && source.headViaRangedGet()) {
            // A one-byte range of an empty object: no range of it can be satisfied.
            Drain.drain(ex);
            UpstreamReplies.unsatisfiable(out, 0);
            return;
        }
        if (status != 200 && status != 206) {
            UpstreamReplies.error(out, ex, head, source.object());
            return;
        }
        if (status == 200 && source.headViaRangedGet()) {
            ex.abort(); // the whole object is coming: only its headers were wanted
        } else {
            Drain.drain(ex);
        }
        meta = UpstreamReplies.metadata(head);
        if (meta.size() < 0) {
            out.error(BridgeError.UPSTREAM_ERROR, "S3 did not say how large the object is");
            return;
        }
        Outcome outcome = request.preconditions().evaluate(meta.etag(), meta.lastModified());
        if (outcome != Outcome.PROCEED) {
            UpstreamReplies.conditional(out, outcome == Outcome.NOT_MODIFIED
                    ? HttpResponseStatus.NOT_MODIFIED : HttpResponseStatus.PRECONDITION_FAILED, meta);
            return;
        }
        if (!request.preconditions().rangeApplies(meta.etag(), meta.lastModified())) {
            delegate(new ObjectDownload(out, source, request.withoutRange().pinned(RangeHeader.NONE, meta.etag())));
            return;
        }
        List<ByteRange> ranges = request.range().resolve(meta.size());
        if (ranges.isEmpty()) {
            UpstreamReplies.unsatisfiable(out, meta.size());
            return;
        }
        if (ranges.size() == 1) {
            delegate(ObjectDownload.single(out, source, request, ranges.get(0), meta.etag()));
            return;
        }
        body = new MultipartByteranges(ranges, meta.size(), meta.contentType());
        out.head(HttpResponseStatus.PARTIAL_CONTENT, ResponseHeaders.multipart(meta, body));
        nextPart();
    }

    private void delegate(ObjectDownload download) {
        delegate = download;
        download.start();
    }

    private void nextPart() {
        if (cancelled) {
            return;
        }
        if (part == body.ranges().size()) {
            out.body(Unpooled.wrappedBuffer(body.closingDelimiter()));
            out.finish();
            return;
        }
        ByteRange r = body.ranges().get(part);
        Sources.request(source, "GET", false, out, get -> {
            get.header(HttpHeaderNames.RANGE, r.rangeHeader());
            if (meta.etag() != null) {
                get.header(HttpHeaderNames.IF_MATCH, meta.etag());
            }
            call = source.caller().call(out.ctx().channel().eventLoop(), get, new S3Caller.Callback() {
                @Override
                public void onResponse(UpstreamExchange ex, HttpResponse head) {
                    onPart(ex, head, r);
                }

                @Override
                public void onError(BridgeError error, String detail) {
                    out.abort();
                }
            });
        }, (error, detail) -> out.abort());
    }

    private void onPart(UpstreamExchange ex, HttpResponse head, ByteRange r) {
        exchange = ex;
        out.upstreamHead(head);
        if (cancelled) {
            ex.abort();
            return;
        }
        long skip;
        int status = head.status().code();
        if (status == 206) {
            ContentRange got = ContentRange.parse(head.headers().get(HttpHeaderNames.CONTENT_RANGE));
            if (got == null || got.total() != meta.size() || got.range().first() > r.first()
                    || got.range().last() < r.last()) {
                ex.abort();
                out.abort();
                return;
            }
            skip = r.first() - got.range().first();
        } else if (status == 200 && UpstreamReplies.metadata(head).size() == meta.size()) {
            skip = r.first();
        } else {
            // 412: the object changed since the HEAD. Anything else: a failure mid-body.
            ex.abort();
            out.abort();
            return;
        }
        out.body(Unpooled.wrappedBuffer(body.partHeader(part)));
        part++;
        relay = new BodyRelay(out, skip, r.length(), this::nextPart);
        relay.start(ex);
    }

    @Override
    public void onError(BridgeError error, String detail) {
        UpstreamReplies.failed(out, error, detail);
    }

    @Override
    public void cancel() {
        cancelled = true;
        if (call != null) {
            call.cancel();
        }
        if (relay != null && exchange != null) {
            relay.cancel(exchange);
        }
        if (delegate != null) {
            delegate.cancel();
        }
    }
}
