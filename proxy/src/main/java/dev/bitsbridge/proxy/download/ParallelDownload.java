package dev.bitsbridge.proxy.download;

import dev.bitsbridge.proxy.endpoint.ClientResponse;
import dev.bitsbridge.proxy.endpoint.Transfer;
import dev.bitsbridge.proxy.http.ByteRange;
import dev.bitsbridge.proxy.http.PartPlan;
import dev.bitsbridge.proxy.upstream.UpstreamExchange;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelOutboundBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The body of one large response (a whole object, or a range over twice the part size) fetched
 * from S3 as parallel ranged GETs and sent to the client strictly in order. The head is already
 * out, with the exact Content-Length (and Content-Range) of the span; this class only delivers
 * its bytes or closes the connection short (the error rule: never a clean short body).
 *
 * <ul>
 *   <li>Part 0 is the answer to the request {@link ObjectDownload} already sent: its first
 *       {@code partSize} bytes are used, the rest is not read (that connection is closed).</li>
 *   <li>Every other part is a ranged GET pinned with {@code If-Match} to the ETag of that first
 *       answer (and its answer's ETag checked again), so an object replaced mid-transfer fails
 *       the part with 412 and the client gets fewer bytes than promised, never mixed versions.</li>
 *   <li>The part the client is reading (the <em>head</em>) streams with the client's
 *       backpressure, as {@link BodyRelay} does. Parts after it are fetched ahead: at most
 *       {@code maxParts} receiving at once (connections), and at most {@code 2 * maxParts}
 *       parts launched and not yet delivered, so that parts received early do not leave
 *       connections idle while the client catches up (head-of-line blocking). Each reserves its
 *       length in the shared {@link ReadAhead} budget first; with the budget exhausted a transfer
 *       keeps fewer parts in flight, down to the head alone.</li>
 *   <li>Nothing is fetched ahead until the client has shown it reads: the kernel took
 *       {@link #rampBytes} of this response (1 MiB, or half a part if smaller). When, and whether,
 *       parts are fetched ahead after that is {@link ParallelismRule}'s decision: at once on a
 *       slow connection; after the first part and a measured probe on a fast one, and not at all
 *       once parts proved to add no throughput (adaptive concurrency).</li>
 *   <li>A client that stops reading gives its parts back ({@link ClientStall}, the rule read-ahead
 *       follows too): when it has taken no byte for a second while bytes wait for it, and either
 *       it has not yet taken the probe (it never showed it keeps reading), or another transfer
 *       was refused budget, or the stall has lasted: every part after the one it is reading is
 *       dropped with its buffers and reservation. Nothing is fetched ahead again until it has
 *       taken {@link #rampBytes} more; the dropped parts are then asked again, pinned to the same
 *       ETag. A stalled client so holds at most the part it is reading.</li>
 *    <li>A part that fails (S3 cut its body, timed out, could not be reached after S3Caller's own
 *       retries) is asked again from its first missing byte, up to {@link RangePart#MAX_ATTEMPTS}
 *       times; then the transfer fails. {@link #cancel} (the client left) closes every part and
 *       releases every buffer and reservation at once.</li>
 * </ul>
 * S3 requests per transfer: one per part, plus retries and parts given back by a stalled client:
 * {@code ceil(length / partSize)} otherwise.
 *
 * <p>Threading: confined to the client's event loop; every part's upstream connection is on it
 * too. Buffer ownership: each part owns the buffers it queued until they are handed to
 * {@link ClientResponse#body} (then Netty's) or released on close.
 */
final class ParallelDownload implements Transfer, PartOwner, ClientStall.Watched {

    private static final Logger log = LoggerFactory.getLogger(ParallelDownload.class);

    final ClientResponse out;
    final ObjectSource source;
    final ReadAhead readAhead;
    final String etag;
    final long size;
    private final PartPlan plan;
    private final RangePart[] parts;
    private final Runnable onComplete;
    private final long rampBytes;
    private int head;
    private int launched;
    private int receiving;
    private long written;
    private ParallelismRule rule;
    private boolean ahead;
    private final ClientStall stall;
    /** While the first part streams: when the client last made it wait, and how long in all. */
    private long waitFrom;
    private long clientWaited;
    private boolean narrowed;
    private boolean done;

    ParallelDownload(ClientResponse out, ObjectSource source, ReadAhead readAhead, String etag, long size,
            PartPlan plan, Runnable onComplete) {
        this.out = out;
        this.source = source;
        this.readAhead = readAhead;
        this.etag = etag;
        this.size = size;
        this.plan = plan;
        this.parts = new RangePart[plan.count()];
        this.onComplete = onComplete;
        this.rampBytes = Math.min(1L << 20, plan.partSize() / 2);
        this.stall = new ClientStall(this, readAhead, rampBytes);
    }

    /** The decision on parts ahead: its phase, for the log and tests. */
    ParallelismRule rule() {
        return rule;
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
    public io.netty.channel.ChannelHandlerContext ctx() {
        return out.ctx();
    }

    @Override
    public String etag() {
        return etag;
    }

    @Override
    public long size() {
        return size;
    }

    /**
     * Parts with an S3 request or body in progress: the upstream connections this transfer uses.
     * Read by the status page from another thread; a plain int read, a moment stale at worst.
     */
    int receiving() {
        return receiving;
    }

    /** Takes over {@code first}, whose body holds the span from its byte {@code skip} on. */
    void start(UpstreamExchange first, long skip) {
        RangePart p = new RangePart(this, 0, plan.part(0), 0);
        parts[0] = p;
        launched = 1;
        rule = ParallelismRule.forCap(rampBytes, readAhead.maxParts(), readAhead.adaptive(), readAhead.margin(),
                System.nanoTime());
        p.attach(first, skip);
        drain();
    }

    boolean isHead(RangePart p) {
        return !done && parts[head] == p;
    }

    /** A part has new bytes, or finished receiving: the client may take some now. */
    @Override
    public void partProgress(RangePart p) {
        if (isHead(p)) {
            drain();
        }
    }

    /** A part started or stopped using an upstream connection; a freed one may take the next part. */
    @Override
    public void partReceiving(boolean now) {
        receiving += now ? 1 : -1;
        if (!now && !done) {
            pump();
        }
    }

    /** Sends what the head part holds while the client can take it, then moves on to the next part. */
    void drain() {
        if (waitFrom != 0 && out.writable()) {
            clientWaited += System.nanoTime() - waitFrom;
            waitFrom = 0;
        }
        while (!done) {
            RangePart p = parts[head];
            while (p.hasQueued() && out.writable()) {
                ByteBuf b = p.poll();
                written += b.readableBytes();
                out.body(b);
            }
            if (p.hasQueued()) {
                waitForClient();
                return;
            }
            if (p.delivered()) {
                p.finish();
                parts[head] = null;
                // A part asked for the whole rest (one connection from here) ends the span.
                head = p.range().last() == spanLast() ? parts.length : head + 1;
                if (head == parts.length) {
                    done = true;
                    stall.stop();
                    onComplete.run();
                    return;
                }
                pump();
                continue;
            }
            if (out.writable()) {
                p.demand();
            } else {
                waitForClient();
            }
            pump();
            return;
        }
    }

    /** Starts the parts the window, the client's reading and the budget allow. */
    private void pump() {
        if (done) {
            return;
        }
        boolean mayAhead = mayFetchAhead();
        int cap = rule.receivingCap(readAhead.maxParts());
        while (launched < parts.length && launched < head + 2 * cap
                && (receiving < cap || launched == head)) {
            if (launched == head && rule.phase() == ParallelismRule.Phase.NARROW) {
                // One connection from here: the whole rest in one ranged GET, read with the
                // client's backpressure (no request per part, no copy, nothing held ahead).
                RangePart rest = new RangePart(this, launched,
                        new ByteRange(plan.part(launched).first(), spanLast()), 0);
                parts[launched] = rest;
                launched = parts.length;
                rest.request();
                return;
            }
            long reserve = 0;
            if (launched != head) {
                long len = plan.part(launched).length();
                if (!mayAhead || !readAhead.tryReserve(len, this)) {
                    return;
                }
                reserve = len;
            }
            RangePart p = new RangePart(this, launched, plan.part(launched), reserve);
            parts[launched] = p;
            launched++;
            p.request();
            if (done) {
                return; // the request failed at once and ended the transfer
            }
        }
    }

    /**
     * Whether parts may be fetched ahead of the client now (the ramp, the rule, a stall). Asked
     * on every pump, so the rule sees the client's progress part by part.
     */
    private boolean mayFetchAhead() {
        if (!out.writable()) {
            return ahead && !stall.parked(); // decided while the client kept up; nothing new is decided now
        }
        long took = kernelTook();
        if (!stall.mayFetchAhead(took)) {
            return false;
        }
        ahead = rule.ahead(took, head, clientWaited, System.nanoTime());
        if (ahead) {
            stall.watch(out.ctx().executor());
        }
        if (!narrowed && rule.phase() == ParallelismRule.Phase.NARROW) {
            narrowed = true;
            readAhead.narrowed();
            log.debug("parallel parts add nothing here ({} B/s with one connection, {} B/s with {}): one"
                    + " connection from now on", (long) rule.oneConnectionRate(), (long) rule.probeRate(),
                    readAhead.maxParts());
        }
        return ahead;
    }

    @Override
    public long took() {
        return kernelTook();
    }

    @Override
    public boolean writable() {
        return out.writable();
    }

    /** A client still in the probe has not shown it keeps reading: it gives its parts back at once. */
    @Override
    public boolean unproven() {
        return rule.phase() == ParallelismRule.Phase.PROBE;
    }

    /** Drops every part after the one the client is reading (they are asked again when it reads). */
    @Override
    public int giveBack() {
        if (done) {
            return 0;
        }
        int dropped = 0;
        for (int i = launched - 1; i > head; i--) {
            if (parts[i] != null) {
                parts[i].close();
                parts[i] = null;
                dropped++;
            }
        }
        launched = head + 1;
        return dropped;
    }

    /** The client is slower than what is ready for it: drain again once it took some. */
    private void waitForClient() {
        if (head == 0 && waitFrom == 0) {
            waitFrom = System.nanoTime(); // only the first part's waits count (ParallelismRule)
        }
        out.whenWritable(this::drain);
    }

    /** The last byte of the span this transfer delivers. */
    private long spanLast() {
        return plan.part(parts.length - 1).last();
    }

    /** Bytes of this response the kernel accepted (written, less what still waits in Netty). */
    private long kernelTook() {
        ChannelOutboundBuffer ob = out.ctx().channel().unsafe().outboundBuffer();
        return written - (ob == null ? 0 : ob.totalPendingWriteBytes());
    }

    /** A part failed for good: the head is out, so the connection is closed short. */
    @Override
    public void fail(RangePart p, String why) {
        if (done) {
            return;
        }
        log.debug("parallel transfer failed at part {} of {}: {}", p.index(), parts.length, why);
        closeParts();
        out.abort();
    }

    @Override
    public void cancel() {
        if (!done) {
            closeParts();
        }
    }

    private void closeParts() {
        done = true;
        stall.stop();
        for (int i = head; i < launched; i++) {
            if (parts[i] != null) {
                parts[i].close();
                parts[i] = null;
            }
        }
    }
}
