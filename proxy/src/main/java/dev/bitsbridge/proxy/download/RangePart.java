package dev.bitsbridge.proxy.download;

import dev.bitsbridge.proxy.error.BridgeError;
import dev.bitsbridge.proxy.http.ByteRange;
import dev.bitsbridge.proxy.http.ContentRange;
import dev.bitsbridge.proxy.http.EntityTags;
import dev.bitsbridge.proxy.s3.S3Caller;
import dev.bitsbridge.proxy.upstream.UpstreamException;
import dev.bitsbridge.proxy.upstream.UpstreamExchange;
import dev.bitsbridge.proxy.upstream.UpstreamListener;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.ArrayDeque;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One part of a {@link ParallelDownload} or a {@link PrefetchStream}: a ranged GET pinned to the transfer's ETag, its bytes
 * queued until the client takes them. A part fetched ahead reads S3 as fast as S3 sends (its
 * whole length is reserved in the budget); the part the client is reading without a reservation
 * reads only on {@link #demand}, that is while the client keeps up.
 *
 * <p>A failure after the answer's head (a cut body, a timeout) or a call that finally failed is
 * retried from the first missing byte, up to {@link #MAX_ATTEMPTS} requests; a 412 (the object
 * changed), another ETag, or an answer for other bytes fails the transfer at once.
 *
 * <p>Threading: confined to the client's event loop. Buffer ownership: queued buffers are this
 * part's until {@link #poll} hands one over, and are released by {@link #close}. Bytes queued by
 * a reserved part count in {@link ReadAhead#bytesHeld}.
 */
final class RangePart implements S3Caller.Callback, UpstreamListener {

    static final int MAX_ATTEMPTS = 3;
    private static final long RETRY_DELAY_MILLIS = 100;

    enum State {
        REQUESTING,
        RECEIVING,
        RECEIVED,
        CLOSED
    }

    private final PartOwner owner;
    private final int index;
    private final ByteRange range;
    private long reserved;
    private final ArrayDeque<ByteBuf> queue = new ArrayDeque<>();
    private State state = State.REQUESTING;
    private boolean inFlight;
    private long received;
    private long skip;
    private int attempts;
    private boolean awaitingRead;
    private boolean answered;
    private S3Caller.Call call;
    private UpstreamExchange exchange;
    private ScheduledFuture<?> retryTimer;

    RangePart(PartOwner owner, int index, ByteRange range, long reserved) {
        this.owner = owner;
        this.index = index;
        this.range = range;
        this.reserved = reserved;
    }

    int index() {
        return index;
    }

    /** The object bytes this part fetches. */
    ByteRange range() {
        return range;
    }

    /** Part 0: the body of an exchange already under way, from its byte {@code skip}. */
    void attach(UpstreamExchange ex, long skipBytes) {
        attempts = 1;
        inFlight(true);
        receive(ex, skipBytes);
    }

    /** Sends the ranged GET for the bytes still missing. */
    void request() {
        attempts++;
        state = State.REQUESTING;
        inFlight(true);
        owner.readAhead().partRequested();
        Sources.request(owner.source(), "GET", false, owner.ctx().executor(), r -> {
            if (state == State.CLOSED) {
                return;
            }
            r.header(HttpHeaderNames.RANGE, "bytes=" + (range.first() + received) + "-" + range.last());
            if (owner.etag() != null) {
                r.header(HttpHeaderNames.IF_MATCH, owner.etag());
            }
            call = owner.source().caller().call(owner.ctx().channel().eventLoop(), r, this);
        }, (error, detail) -> owner.fail(this, detail == null ? error.message() : detail));
    }

    @Override
    public void onResponse(UpstreamExchange ex, HttpResponse head) {
        if (state == State.CLOSED) {
            ex.abort();
            return;
        }
        long want = range.first() + received;
        int status = head.status().code();
        String etag = EntityTags.quoted(head.headers().get(HttpHeaderNames.ETAG));
        long skipBytes;
        if (status == 206) {
            ContentRange got = ContentRange.parse(head.headers().get(HttpHeaderNames.CONTENT_RANGE));
            if (got == null || got.total() != owner.size() || got.range().first() > want
                    || got.range().last() < range.last()) {
                ex.abort();
                owner.fail(this, "S3 answered part " + index + " with other bytes");
                return;
            }
            skipBytes = want - got.range().first();
        } else if (status == 200 && UpstreamReplies.metadata(head).size() == owner.size()) {
            skipBytes = want; // S3 ignored the range: use the bytes of the part, drop the rest
        } else {
            ex.abort();
            owner.fail(this, status == 412 ? "the object changed during the transfer"
                    : "S3 answered part " + index + " with " + status);
            return;
        }
        if (owner.etag() != null && etag != null && !owner.etag().equals(etag)) {
            ex.abort(); // S3 ignored If-Match: never mix versions
            owner.fail(this, "the object changed during the transfer");
            return;
        }
        receive(ex, skipBytes);
    }

    private void receive(UpstreamExchange ex, long skipBytes) {
        exchange = ex;
        skip = skipBytes;
        state = State.RECEIVING;
        awaitingRead = false;
        answered = true;
        ex.listener(this);
        if (reserved > 0) {
            ex.read();
        }
        owner.partProgress(this);
    }

    /** S3 answered this part with the pinned version's bytes (so a response may start with them). */
    boolean answered() {
        return answered;
    }

    @Override
    public void onHead(UpstreamExchange ex, HttpResponse head) {
        // The head was handled in onResponse.
    }

    @Override
    public void onContent(UpstreamExchange ex, HttpContent content) {
        awaitingRead = false;
        if (state != State.RECEIVING || ex != exchange) {
            content.release();
            return;
        }
        ByteBuf buf = content.content();
        int readable = buf.readableBytes();
        if (skip > 0) {
            int s = (int) Math.min(skip, readable);
            buf.skipBytes(s);
            skip -= s;
            readable -= s;
        }
        long missing = range.length() - received;
        if (readable > missing) {
            buf.writerIndex(buf.readerIndex() + (int) missing);
            readable = (int) missing;
        }
        if (readable > 0) {
            received += readable;
            queue(buf);
        } else {
            content.release();
        }
        if (received == range.length()) {
            state = State.RECEIVED;
            exchange = null;
            inFlight(false);
            if (!ex.isDone()) {
                ex.abort(); // the rest of a longer answer (part 0's whole-object GET) is not needed
            }
        } else if (content instanceof LastHttpContent) {
            retry("S3's answer for part " + index + " ended early");
            return;
        } else if (reserved > 0) {
            ex.read();
        }
        owner.partProgress(this);
    }

    /**
     * Queues a buffer. An upstream buffer is often a slice of a larger read buffer; one held
     * ahead (possibly for seconds) is copied into a buffer of its own size, so what the budget
     * counts is what the allocator holds.
     */
    private void queue(ByteBuf buf) {
        int n = buf.readableBytes();
        if (reserved > 0) {
            ByteBuf under = buf.unwrap() != null ? buf.unwrap() : buf;
            if (under.capacity() > n + (n >> 2)) {
                ByteBuf copy = owner.ctx().alloc().directBuffer(n, n);
                copy.writeBytes(buf);
                buf.release();
                buf = copy;
            }
            owner.readAhead().held(n);
        }
        queue.add(buf);
    }

    @Override
    public void onFailure(UpstreamExchange ex, UpstreamException cause) {
        if (state == State.RECEIVING && ex == exchange) {
            retry(cause.getMessage());
        }
    }

    @Override
    public void onError(BridgeError error, String detail) {
        if (state == State.REQUESTING) {
            retry(detail == null ? error.message() : detail);
        }
    }

    private void retry(String why) {
        if (exchange != null && !exchange.isDone()) {
            exchange.abort();
        }
        exchange = null;
        call = null;
        skip = 0;
        if (attempts >= MAX_ATTEMPTS) {
            owner.fail(this, why);
            return;
        }
        state = State.REQUESTING;
        retryTimer = owner.ctx().channel().eventLoop().schedule(() -> {
            retryTimer = null;
            if (state == State.REQUESTING) {
                request();
            }
        }, RETRY_DELAY_MILLIS * attempts, TimeUnit.MILLISECONDS);
    }

    /** The client can take more: a part without reservation reads its next chunk now. */
    void demand() {
        if (state == State.RECEIVING && reserved == 0 && !awaitingRead && queue.isEmpty()) {
            awaitingRead = true;
            exchange.read();
        }
    }

    boolean hasQueued() {
        return !queue.isEmpty();
    }

    ByteBuf poll() {
        ByteBuf b = queue.poll();
        if (reserved > 0) {
            owner.readAhead().held(-b.readableBytes());
        }
        return b;
    }

    /**
     * At most {@code max} queued bytes (a response of a sequential reading can end inside a
     * part): a slice of the first buffer when it holds more, the rest staying queued.
     */
    ByteBuf poll(long max) {
        ByteBuf first = queue.peek();
        if (first.readableBytes() <= max) {
            return poll();
        }
        ByteBuf b = first.readRetainedSlice((int) max);
        if (reserved > 0) {
            owner.readAhead().held(-b.readableBytes());
        }
        return b;
    }

    /** Every byte of the part was received and handed over. */
    boolean delivered() {
        return state == State.RECEIVED && queue.isEmpty();
    }

    /** Delivered: its reservation goes back to the budget. */
    void finish() {
        owner.readAhead().unreserve(reserved);
        reserved = 0;
    }

    /** The transfer ended early: stop S3, release every buffer and the reservation. */
    void close() {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        if (retryTimer != null) {
            retryTimer.cancel(false);
        }
        if (call != null) {
            call.cancel();
        }
        if (exchange != null && !exchange.isDone()) {
            exchange.abort();
        }
        while (!queue.isEmpty()) {
            poll().release();
        }
        finish();
        inFlight(false);
    }

    private void inFlight(boolean now) {
        if (now != inFlight) {
            inFlight = now;
            if (now) {
                owner.readAhead().partStarted();
            } else {
                owner.readAhead().partEnded();
            }
            owner.partReceiving(now);
        }
    }
}
