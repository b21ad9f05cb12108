package dev.bitsbridge.proxy.download;

import io.netty.util.concurrent.EventExecutor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one rule for a client that stops reading while parts are fetched ahead of it, used by both
 * transfers that fetch ahead: a {@link ParallelDownload} (one large response) and a
 * {@link PrefetchStream} (a BITS job's consecutive ranges on one connection).
 *
 * <ul>
 *   <li><b>Stalled</b>: the client's socket took no byte for {@link #STALL_MILLIS} while it
 *       could not take more (the channel is not writable: bytes wait for it).</li>
 *   <li><b>Gives back</b>, once stalled, when its client never showed it keeps reading
 *       ({@link Watched#unproven}), or another transfer was refused budget (its own refusals do
 *       not count) in the last {@code 2 x STALL_MILLIS}, or the stall has lasted
 *       {@link #LONG_STALL_MILLIS}: the transfer drops every part it does not need to finish what its client is reading now
 *       ({@link Watched#giveBack}: buffers released, reservations returned, S3 exchanges cancelled),
 *       counted in {@link ReadAhead#partsReleased}.</li>
 *   <li><b>Parked</b> after that: nothing is fetched ahead again until the client has taken
 *       {@code rampBytes} more; the dropped parts are then asked again, pinned to the same ETag.</li>
 * </ul>
 * The check runs every {@link #CHECK_MILLIS} from {@link #watch} (the transfer's first part
 * fetched ahead) until {@link #stop}. Times come from {@link ReadAhead#nanoTime}, so tests move
 * them with a clock instead of waiting.
 *
 * <p>Threading: confined to the transfer's event loop. Holds no buffers.
 */
final class ClientStall {

    private static final Logger log = LoggerFactory.getLogger(ClientStall.class);

    /** A client that took nothing for this long, bytes waiting, counts as stalled. */
    static final long STALL_MILLIS = 1_000;
    /** A client stalled this long gives its parts back even if nobody else wants the budget. */
    static final long LONG_STALL_MILLIS = 10_000;
    static final long CHECK_MILLIS = 250;

    /** What the rule needs from its transfer. Called on the transfer's event loop. */
    interface Watched {

        /** Bytes the client's socket took so far; only compared, never reset while watched. */
        long took();

        /** Whether the client's channel takes more bytes now (false: bytes wait for the client). */
        boolean writable();

        /** The client has not shown yet that it keeps reading (it gives its parts back at once). */
        boolean unproven();

        /**
         * Drops the parts fetched ahead that the client does not need to finish what it is
         * reading now; returns how many (0: nothing was ahead, nothing to give back).
         */
        int giveBack();
    }

    private final Watched transfer;
    private final ReadAhead readAhead;
    private final long rampBytes;
    private boolean parked;
    private long parkedAt;
    private long lastTook;
    private long lastMoved;
    private ScheduledFuture<?> timer;

    ClientStall(Watched transfer, ReadAhead readAhead, long rampBytes) {
        this.transfer = transfer;
        this.readAhead = readAhead;
        this.rampBytes = rampBytes;
    }

    /** Starts the periodic check on {@code loop} (idempotent): parts are fetched ahead from now on. */
    void watch(EventExecutor loop) {
        if (timer != null) {
            return;
        }
        lastTook = transfer.took();
        lastMoved = readAhead.nanoTime();
        timer = loop.scheduleAtFixedRate(this::check, CHECK_MILLIS, CHECK_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** The transfer ended: no more checks. */
    void stop() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    /** Parts were given back and the client has not read {@code rampBytes} since. */
    boolean parked() {
        return parked;
    }

    /**
     * Whether parts may be fetched ahead as far as the stall is concerned, the client having taken
     * {@code took}: not while parked, unless it took the ramp since (then it is no longer parked).
     */
    boolean mayFetchAhead(long took) {
        if (parked && took - parkedAt >= rampBytes) {
            parked = false; // it reads again
        }
        return !parked;
    }

    /**
     * One check: notes the client's progress, and gives the parts back when it is stalled and the
     * rule says so. Returns the parts given back.
     */
    int check() {
        long took = transfer.took();
        long now = readAhead.nanoTime();
        if (took != lastTook || transfer.writable()) {
            lastTook = took;
            lastMoved = now;
            return 0;
        }
        long stalled = now - lastMoved;
        if (parked || stalled < TimeUnit.MILLISECONDS.toNanos(STALL_MILLIS)) {
            return 0;
        }
        if (!transfer.unproven() && stalled < TimeUnit.MILLISECONDS.toNanos(LONG_STALL_MILLIS)
                && !readAhead.refusedSince(now - 2 * TimeUnit.MILLISECONDS.toNanos(STALL_MILLIS), transfer)) {
            return 0;
        }
        // Parked first: the parts closed below free connections, and the transfer's pump, called
        // back as they close, must not fetch them again.
        parked = true;
        parkedAt = took;
        int dropped = transfer.giveBack();
        if (dropped == 0) {
            parked = false; // nothing was ahead (one connection for the rest): it keeps its place
            return 0;
        }
        readAhead.released(dropped);
        log.debug("client stalled for {} ms: {} parts ahead given back", stalled / 1_000_000, dropped);
        return dropped;
    }
}
