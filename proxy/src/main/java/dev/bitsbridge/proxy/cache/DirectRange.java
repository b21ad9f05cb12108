package dev.bitsbridge.proxy.cache;

import dev.bitsbridge.proxy.endpoint.ClientResponse;
import dev.bitsbridge.proxy.error.BridgeError;
import dev.bitsbridge.proxy.http.ContentRange;
import dev.bitsbridge.proxy.http.EntityTags;
import dev.bitsbridge.proxy.s3.S3Caller;
import dev.bitsbridge.proxy.upstream.Drain;
import dev.bitsbridge.proxy.upstream.UpstreamException;
import dev.bitsbridge.proxy.upstream.UpstreamExchange;
import dev.bitsbridge.proxy.upstream.UpstreamListener;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * Bytes the cache cannot give (no room, the disk failed, a fill failed): fetched from S3 for this
 * client only, pinned with {@code If-Match} to the version being served, and relayed with the
 * client's backpressure as the uncached path does (the upstream buffer itself is written).
 *
 * <p>Threading: confined to the client's event loop, which is the upstream connection's.
 */
final class DirectRange implements S3Caller.Callback, UpstreamListener {

    /** What the stream is told, on the client's event loop. */
    interface Host {
        boolean beforeBytes();

        void sent(int n);

        void rangeDone();

        void failed(SliceData.Failure why);
    }

    private final ClientResponse out;
    private final ObjectEntry entry;
    private final long first;
    private final Host host;
    private final CacheStats stats;
    private long remaining;
    private S3Caller.Call call;
    private UpstreamExchange exchange;
    private boolean done;

    DirectRange(ClientResponse out, ObjectEntry entry, long first, long last, Host host, CacheStats stats) {
        this.out = out;
        this.entry = entry;
        this.first = first;
        this.remaining = last - first + 1;
        this.host = host;
        this.stats = stats;
    }

    void start(Origin origin) {
        call = origin.caller().call(out.ctx().channel().eventLoop(),
                origin.request("bytes=" + first + "-" + (first + remaining - 1), entry.etag(), null), this);
    }

    @Override
    public void onResponse(UpstreamExchange ex, HttpResponse head) {
        exchange = ex;
        if (done) {
            ex.abort();
            return;
        }
        int status = head.status().code();
        if (status == 412) {
            Drain.drain(ex);
            fail(SliceData.Failure.CHANGED);
            return;
        }
        ContentRange cr = ContentRange.parse(head.headers().get(HttpHeaderNames.CONTENT_RANGE));
        String etag = EntityTags.quoted(head.headers().get(HttpHeaderNames.ETAG));
        if ((status == 206 && cr != null && cr.total() != entry.size()) || (etag != null && !etag.equals(entry.etag()))) {
            ex.abort();
            fail(SliceData.Failure.CHANGED);
            return;
        }
        if (status != 206 || cr == null || cr.range() == null || cr.range().first() != first
                || cr.range().length() != remaining) {
            ex.abort();
            fail(SliceData.Failure.UPSTREAM);
            return;
        }
        ex.listener(this);
        ex.read();
    }

    @Override
    public void onError(BridgeError error, String detail) {
        fail(SliceData.Failure.UPSTREAM);
    }

    @Override
    public void onHead(UpstreamExchange ex, HttpResponse head) {
    }

    @Override
    public void onContent(UpstreamExchange ex, HttpContent content) {
        ByteBuf buf = content.content();
        int n = buf.readableBytes();
        if (done || n > remaining || n > 0 && !host.beforeBytes()) {
            content.release();
            ex.abort();
            if (!done && n > remaining) {
                fail(SliceData.Failure.UPSTREAM);
            }
            return;
        }
        boolean last = content instanceof LastHttpContent;
        remaining -= n;
        stats.fromS3(n);
        if (n > 0) {
            host.sent(n);
            out.body(buf); // ownership passes to the client channel
        } else {
            content.release();
        }
        if (remaining == 0) {
            done = true;
            if (!ex.isDone()) {
                ex.abort();
            }
            host.rangeDone();
        } else if (last) {
            fail(SliceData.Failure.UPSTREAM);
        } else if (out.writable()) {
            ex.read();
        } else {
            out.whenWritable(ex::read);
        }
    }

    @Override
    public void onFailure(UpstreamExchange ex, UpstreamException cause) {
        fail(SliceData.Failure.UPSTREAM);
    }

    private void fail(SliceData.Failure why) {
        if (!done) {
            done = true;
            host.failed(why);
        }
    }

    void cancel() {
        done = true;
        if (call != null) {
            call.cancel();
        }
        if (exchange != null && !exchange.isDone()) {
            exchange.abort();
        }
    }
}
