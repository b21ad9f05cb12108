package dev.bitsbridge.proxy.download;

import dev.bitsbridge.proxy.endpoint.ClientResponse;
import dev.bitsbridge.proxy.http.ByteRange;
import dev.bitsbridge.proxy.http.ObjectMetadata;
import dev.bitsbridge.proxy.upstream.UpstreamExchange;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.ArrayDeque;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Read-ahead across the requests of one client connection that reads one object sequentially (a
 * BITS job: HEAD, then consecutive ranges, each sent once the previous answer arrived; see
 * {@link dev.bitsbridge.proxy.http.SequentialReads}). While one range streams to the client, the
 * ranges after it are fetched from S3 as parallel ranged GETs of {@code --part-size}, so the next
 * request is answered from memory without waiting a round trip.
 *
 * <ul>
 *   <li>Every part is pinned with {@code If-Match} to the ETag of the answer that started the
 *       reading (and its answer's ETag checked again). If the object changes, the failing part
 *       and all after it are dropped: a response that needed them is closed short (the error
 *       rule), a response that did not ends normally, and the stream is closed, so the next
 *       request goes to S3 and is decided on the new object. A response never mixes versions.</li>
 *   <li>Memory: every part fetched ahead reserved its length in the global {@link ReadAhead}
 *       budget first; nothing is fetched further than {@code parallelConnections x partSize}
 *       ahead of what the client has taken, and nothing at all before the client has taken
 *       the ramp of its first response (a client that does not read costs nothing extra). The
 *       stream is dropped, and every buffer and reservation returned, when the connection closes,
 *       when the next request does not continue the reading, and when no request comes for
 *       {@link #IDLE_MILLIS} (so a job that stopped holds nothing).</li>
 *   <li>A job that stops reading in the middle of a range (its connection open) gives its parts
 *       back by the rule parallel downloads follow ({@link ClientStall}): stalled 1 s while
 *       another transfer wants the budget, or 10 s in any case, it keeps only the part its
 *       current response is being sent from (between responses: none) and drops the others with
 *       their buffers, reservations and S3 exchanges. When it reads again, the rest of the
 *       response is asked again from its first missing byte, pinned to the same ETag (a changed
 *       object then closes the response short, as above), and parts are fetched ahead again once
 *       it has taken the ramp.</li>
 *   <li>A part whose body is cut or stalls is asked again from its first missing byte
 *       ({@link RangePart#MAX_ATTEMPTS} requests at most).</li>
 * </ul>
 *
 * <p>Threading: confined to the client's event loop; every part's upstream connection is on it
 * too. Buffer ownership: each part owns its queued buffers until they are handed to
 * {@link ClientResponse#body} (then Netty's) or released on {@link #close}.
 */
final class PrefetchStream implements PartOwner, ClientStall.Watched {

    private static final Logger log = LoggerFactory.getLogger(PrefetchStream.class);

    /** A stream with no request for this long is dropped with everything it holds. */
    static final long IDLE_MILLIS = 5_000;

    enum State {
        SERVING,
        IDLE,
        CLOSED
    }

    private final ChannelHandlerContext ctx;
    private final ObjectSource source;
    private final Object object;
    private final ReadAhead readAhead;
    private final ObjectMetadata meta;
    private final ConnectionReads connection;
    private final ArrayDeque<RangePart> parts = new ArrayDeque<>();
    private final long rampBytes;
    private State state = State.IDLE;
    /** The next byte a client gets. */
    private long position;
    /** The first byte not yet asked of S3. */
    private long next;
    private int receiving;
    private int index;
    /** A part failed: no part is started any more, and the stream closes after the current response. */
    private boolean broken;
    private boolean clientReads;
    private ScheduledFuture<?> idleTimer;
    private ClientResponse out;
    /** The current response's head, until it is sent (once the first part's answer is in). */
    private HttpHeaders pendingHead;
    /** What answers the current request if the stream cannot, before its head was sent. */
    private Runnable fallback;
    private long remaining;
    private long written;
    private Runnable onComplete;
    private final ClientStall stall;

    /**
     * @param object the object's identity ({@link ObjectSource#identity})
     * @param meta the object's metadata from the answer that starts the reading (its ETag pins every part)
     * @param connection told when the stream closes (it forgets the stream)
     */
    PrefetchStream(ChannelHandlerContext ctx, ObjectSource source, Object object, ReadAhead readAhead,
            ObjectMetadata meta, ConnectionReads connection) {
        this.ctx = ctx;
        this.source = source;
        this.object = object;
        this.readAhead = readAhead;
        this.meta = meta;
        this.connection = connection;
        this.rampBytes = Math.min(1L << 20, readAhead.partSize() / 2);
        this.stall = new ClientStall(this, readAhead, rampBytes);
        readAhead.streamOpened();
    }

    /**
     * Takes over {@code first}, an answer whose body holds the object from byte {@code start}
     * after {@code skip} bytes, and serves {@code length} bytes from {@code start} to {@code res}
     * (whose head is out). The answer supplies the first part: the whole response, or its first
     * {@code partSize} bytes when the response is over twice that; the rest comes in parts.
     *
     * @param reading the client already showed it reads (it read the previous range whole), so
     *     parts are fetched ahead at once rather than after the ramp
     */
    void start(UpstreamExchange first, long skip, long start, long length, ClientResponse res, Runnable done,
            boolean reading) {
        clientReads = reading;
        position = start;
        // The answer serves the whole response unless that is worth splitting (as ParallelDownload
        // splits): then its first part, and the rest of its body is not read.
        long len = dev.bitsbridge.proxy.http.PartPlan.worthSplitting(length, readAhead.partSize())
                ? readAhead.partSize() : length;
        RangePart p = new RangePart(this, index++, new ByteRange(start, start + len - 1), 0);
        parts.add(p);
        next = start + len;
        begin(res, length, done, null, null);
        p.attach(first, skip);
        drain();
    }

    /**
     * Parts with an S3 request or body in progress: the upstream connections this transfer uses.
     * Read by the status page from another thread; a plain int read, a moment stale at worst.
     */
    int receiving() {
        return receiving;
    }

    /** Whether a request for {@code object} from byte {@code first} can be answered by this stream. */
    boolean continues(Object requested, long first) {
        return state == State.IDLE && !broken && first == position && object.equals(requested);
    }

    Object object() {
        return object;
    }

    ObjectMetadata metadata() {
        return meta;
    }

    /**
     * Serves {@code length} bytes from the current position to {@code res}. Its head (206 with
     * {@code head}) is sent once the part holding the first byte has S3's answer, checked against
     * the pinned ETag; if that part fails first (the object changed), nothing has been sent and
     * {@code otherwise} answers the request instead (from S3, on the object as it is now). The
     * client read the previous range whole: it is reading, so parts are fetched ahead at once.
     */
    void serve(ClientResponse res, long length, HttpHeaders head, Runnable done, Runnable otherwise) {
        clientReads = true;
        begin(res, length, done, head, otherwise);
        drain();
        pump();
    }

    private void begin(ClientResponse res, long length, Runnable done, HttpHeaders head, Runnable otherwise) {
        pendingHead = head;
        fallback = otherwise;
        if (idleTimer != null) {
            idleTimer.cancel(false);
            idleTimer = null;
        }
        state = State.SERVING;
        out = res;
        remaining = length;
        written = 0;
        onComplete = done;
    }

    /** Sends what the head part holds while the client can take it, moving on part after part. */
    private void drain() {
        while (state == State.SERVING) {
            if (remaining == 0) {
                responseDone();
                return;
            }
            RangePart p = parts.peekFirst();
            if (p == null) {
                pump(); // the budget let nothing ahead: the part the client waits for starts now
                if (parts.isEmpty()) {
                    return;
                }
                continue;
            }
            if (pendingHead != null) {
                if (!p.answered()) {
                    pump();
                    return; // partProgress comes back once S3 answered
                }
                HttpHeaders h = pendingHead;
                pendingHead = null;
                fallback = null;
                out.head(HttpResponseStatus.PARTIAL_CONTENT, h);
                readAhead.rangeFromMemory();
            }
            while (remaining > 0 && p.hasQueued() && out.writable()) {
                ByteBuf b = p.poll(remaining);
                int n = b.readableBytes();
                remaining -= n;
                position += n;
                written += n;
                out.body(b);
            }
            if (p.delivered()) {
                p.finish();
                parts.removeFirst();
                pump();
                continue;
            }
            if (remaining == 0) {
                continue;
            }
            if (p.hasQueued() || !out.writable()) {
                out.whenWritable(this::drain);
            } else {
                p.demand();
            }
            pump();
            return;
        }
    }

    private void responseDone() {
        if (pendingHead != null) {
            // An empty response is not possible (a range has at least one byte); kept for safety.
            out.head(HttpResponseStatus.PARTIAL_CONTENT, pendingHead);
            pendingHead = null;
            fallback = null;
        }
        Runnable done = onComplete;
        out = null;
        onComplete = null;
        state = State.IDLE;
        if (broken) {
            close();
        } else {
            idleTimer = ctx.executor().schedule(() -> {
                idleTimer = null;
                if (state == State.IDLE) {
                    close();
                }
            }, IDLE_MILLIS, TimeUnit.MILLISECONDS);
        }
        done.run();
        pump();
    }

    /** Starts the parts the window, the client's reading and the budget allow. */
    private void pump() {
        if (state == State.CLOSED || broken) {
            return;
        }
        if (!clientReads && state == State.SERVING && out.writable() && kernelTook() >= rampBytes) {
            clientReads = true;
        }
        int maxParts = readAhead.maxParts();
        long window = maxParts * readAhead.partSize();
        while (next < meta.size() && parts.size() < 2 * maxParts && next - position < window) {
            boolean waitedFor = parts.isEmpty() && state == State.SERVING;
            if (!waitedFor && receiving >= maxParts) {
                return;
            }
            long len = Math.min(readAhead.partSize(), meta.size() - next);
            long reserve = 0;
            if (!waitedFor) {
                if (!clientReads || !stall.mayFetchAhead(took()) || !readAhead.tryReserve(len, this)) {
                    return;
                }
                reserve = len;
                stall.watch(ctx.executor());
            }
            RangePart p = new RangePart(this, index++, new ByteRange(next, next + len - 1), reserve);
            parts.addLast(p);
            next += len;
            p.request();
        }
    }

    /** Bytes of the whole reading the kernel accepted: the stall rule compares them over time. */
    @Override
    public long took() {
        return position - waitingInNetty();
    }

    @Override
    public boolean writable() {
        return ctx.channel().isWritable();
    }

    /** Parts are fetched ahead only once the client showed it reads. */
    @Override
    public boolean unproven() {
        return false;
    }

    /**
     * The client stalled: drops every part but the one the current response is being sent from
     * (between responses, every part). Those bytes are asked again from {@link #next} when the
     * client reads again. A broken stream starts no part any more: it drops only the parts after
     * the current response, the ones before it being needed and impossible to ask again.
     */
    @Override
    public int giveBack() {
        if (state == State.CLOSED) {
            return 0;
        }
        RangePart keep = state == State.SERVING ? parts.peekFirst() : null;
        long from = broken ? position + remaining : Long.MIN_VALUE;
        int dropped = 0;
        while (!parts.isEmpty() && parts.peekLast() != keep && parts.peekLast().range().first() >= from) {
            parts.removeLast().close();
            dropped++;
        }
        if (!broken) {
            next = parts.isEmpty() ? position : parts.peekLast().range().last() + 1;
        }
        return dropped;
    }

    /** Bytes of the current response the kernel accepted (written, less what still waits in Netty). */
    private long kernelTook() {
        return written - waitingInNetty();
    }

    private long waitingInNetty() {
        ChannelOutboundBuffer ob = ctx.channel().unsafe().outboundBuffer();
        return ob == null ? 0 : ob.totalPendingWriteBytes();
    }

    @Override
    public void partProgress(RangePart p) {
        if (state == State.SERVING && parts.peekFirst() == p) {
            drain();
        }
    }

    @Override
    public void partReceiving(boolean now) {
        receiving += now ? 1 : -1;
        if (!now && state != State.CLOSED) {
            pump();
        }
    }

    /**
     * A part failed for good (or the object changed). A response that needs its bytes is closed
     * short; otherwise the parts from it on are dropped and the stream closes after the response.
     */
    @Override
    public void fail(RangePart p, String why) {
        if (state == State.CLOSED) {
            return;
        }
        log.debug("read-ahead stopped at {}: {}", p.range().first(), why);
        broken = true;
        if (state == State.SERVING && p.range().first() < position + remaining) {
            ClientResponse res = out;
            Runnable otherwise = fallback;
            close();
            if (otherwise != null) {
                otherwise.run(); // nothing was sent yet: S3 answers, on the object as it is now
            } else {
                res.abort();
            }
            return;
        }
        while (!parts.isEmpty() && parts.peekLast().range().first() >= p.range().first()) {
            parts.removeLast().close();
        }
        if (state == State.IDLE) {
            close();
        }
    }

    /** The client left during a response served from this stream. */
    void cancel() {
        close();
    }

    /** Stops every part and returns every buffer and reservation; the connection forgets the stream. */
    void close() {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        stall.stop();
        readAhead.streamClosed();
        if (idleTimer != null) {
            idleTimer.cancel(false);
            idleTimer = null;
        }
        while (!parts.isEmpty()) {
            parts.removeFirst().close();
        }
        out = null;
        onComplete = null;
        pendingHead = null;
        fallback = null;
        connection.forget(this);
    }

    boolean closed() {
        return state == State.CLOSED;
    }

    @Override
    public ReadAhead readAhead() {
        return readAhead;
    }

    @Override
    public ObjectSource source() {
        return source;
    }

    @Override
    public ChannelHandlerContext ctx() {
        return ctx;
    }

    @Override
    public String etag() {
        return meta.etag();
    }

    @Override
    public long size() {
        return meta.size();
    }
}
