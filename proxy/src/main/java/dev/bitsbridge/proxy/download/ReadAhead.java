package dev.bitsbridge.proxy.download;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * The settings of parallel transfers and the one memory budget they all share: bytes fetched
 * from S3 ahead of what a client has taken. A part is fetched ahead only after it reserved its
 * whole length here, so the bytes held ahead never exceed the budget, whatever the number of
 * transfers and however slow their clients; a transfer that cannot reserve keeps fewer parts in
 * flight, down to the one its client is reading (which needs no reservation: it streams with the
 * client's backpressure, as a single-request download does).
 *
 * <p>Thread-safe: transfers on every event loop reserve and release concurrently.
 */
public final class ReadAhead {

    /** Parallel transfers off: every download is one request, as before. */
    public static final ReadAhead OFF = new ReadAhead(1, 8L << 20, 0);

    private final int maxParts;
    private final long partSize;
    private final long budget;
    private final AtomicLong reserved = new AtomicLong();
    private final AtomicLong held = new AtomicLong();
    private final AtomicLong peakHeld = new AtomicLong();
    private final AtomicInteger partsInFlight = new AtomicInteger();
    private final AtomicLong partsFetched = new AtomicLong();
    private final AtomicInteger streams = new AtomicInteger();
    private final AtomicLong rangesFromMemory = new AtomicLong();
    /** The last refusal of a reservation, and when another transfer than its was last refused. */
    private final AtomicReference<Refusal> lastRefusal = new AtomicReference<>(new Refusal(0, null, 0));
    private final AtomicLong narrowed = new AtomicLong();
    private final AtomicLong partsReleased = new AtomicLong();
    private volatile boolean adaptive = true;
    private volatile double margin = ParallelismRule.MARGIN;
    private volatile LongSupplier clock = System::nanoTime;

    /**
     * @param maxParts ranged GETs in flight per transfer at most ({@code --parallel-connections}); 1 is off
     * @param partSize bytes per ranged GET ({@code --part-size})
     * @param budget bytes held ahead of clients across all transfers ({@code --read-ahead-memory})
     */
    public ReadAhead(int maxParts, long partSize, long budget) {
        if (maxParts < 1 || partSize < 1 || budget < 0) {
            throw new IllegalArgumentException("bad read-ahead settings");
        }
        this.maxParts = maxParts;
        this.partSize = partSize;
        this.budget = budget;
    }

    public int maxParts() {
        return maxParts;
    }

    public long partSize() {
        return partSize;
    }

    public long budget() {
        return budget;
    }

    /** Whether a span of {@code length} bytes is fetched in parts. */
    boolean splits(long length) {
        return maxParts > 1 && dev.bitsbridge.proxy.http.PartPlan.worthSplitting(length, partSize);
    }

    /**
     * Reserves {@code n} bytes of the budget for transfer {@code who}; false (nothing reserved) if
     * they are not free, and the refusal is noted ({@link #refusedSince}).
     */
    boolean tryReserve(long n, Object who) {
        while (true) {
            long r = reserved.get();
            if (r + n > budget) {
                long t = nanoTime();
                long now = t == 0 ? 1 : t;
                lastRefusal.updateAndGet(prev -> new Refusal(now, who, prev.by() == who ? prev.otherAt() : prev.at()));
                return false;
            }
            if (reserved.compareAndSet(r, r + n)) {
                return true;
            }
        }
    }

    /**
     * The time stalls and refusals are measured in ({@link ClientStall}), in {@link System#nanoTime}
     * terms unless a test set a clock.
     */
    long nanoTime() {
        return clock.getAsLong();
    }

    /** Tests move the stall clock instead of waiting (e.g. a {@code MutableClock}'s millis in nanoseconds). */
    void clock(LongSupplier nanos) {
        clock = nanos;
    }

    /**
     * Whether a transfer other than {@code self} was refused a reservation after {@code since}
     * ({@link #nanoTime}): someone else wants the budget, so {@code self}, if its client stopped
     * reading, gives its parts back. Its own refusals do not count: a lone transfer whose window
     * fills the budget (the defaults: 16 parts of 8 MiB, 128 MiB) keeps it from nobody.
     */
    boolean refusedSince(long since, Object self) {
        Refusal r = lastRefusal.get();
        long t = r.by() == self ? r.otherAt() : r.at();
        return t != 0 && t - since > 0;
    }

    /**
     * A refusal: when ({@link #nanoTime}; 0: never), of which transfer, and when a transfer other
     * than that one was last refused (so any transfer can tell whether someone else was).
     */
    private record Refusal(long at, Object by, long otherAt) {
    }

    /**
     * Whether parallel downloads measure what added parts bring and go back to one connection
     * when they bring nothing ({@link ParallelismRule}); on by default. Tests that need parts at
     * the cap whatever the machine's speed turn it off.
     */
    boolean adaptive() {
        return adaptive;
    }

    void adaptive(boolean on) {
        adaptive = on;
    }

    /** How many times one connection's rate parts must bring to stay ({@link ParallelismRule#MARGIN}). */
    double margin() {
        return margin;
    }

    /** Tests force the decision with it: with infinity, every probe goes back to one connection. */
    void margin(double m) {
        margin = m;
    }

    void narrowed() {
        narrowed.incrementAndGet();
    }

    void released(int parts) {
        partsReleased.addAndGet(parts);
    }

    /** Parallel downloads that went back to one connection: added parts brought no throughput. */
    public long transfersNarrowed() {
        return narrowed.get();
    }

    /** Parts fetched ahead and given back (dropped, to be asked again) because their client stalled. */
    public long partsReleased() {
        return partsReleased.get();
    }

    void unreserve(long n) {
        reserved.addAndGet(-n);
    }

    void held(long delta) {
        long now = held.addAndGet(delta);
        if (delta > 0) {
            peakHeld.accumulateAndGet(now, Math::max);
        }
    }

    void partRequested() {
        partsFetched.incrementAndGet();
    }

    void partStarted() {
        partsInFlight.incrementAndGet();
    }

    void partEnded() {
        partsInFlight.decrementAndGet();
    }

    void streamOpened() {
        streams.incrementAndGet();
    }

    void streamClosed() {
        streams.decrementAndGet();
    }

    void rangeFromMemory() {
        rangesFromMemory.incrementAndGet();
    }

    /** Client connections whose sequential reading is being read ahead now. */
    public int streams() {
        return streams.get();
    }

    /** Range requests answered by read-ahead (the next range of a sequential reading) so far. */
    public long rangesFromMemory() {
        return rangesFromMemory.get();
    }

    /** Bytes received from S3 ahead of clients and not yet handed to them. */
    public long bytesHeld() {
        return held.get();
    }

    /** The most {@link #bytesHeld} ever was. */
    public long peakBytesHeld() {
        return peakHeld.get();
    }

    /** Bytes of the budget reserved by parts fetched or being fetched ahead. */
    public long bytesReserved() {
        return reserved.get();
    }

    /** Ranged GETs of parallel transfers with an S3 request or body in progress. */
    public int partsInFlight() {
        return partsInFlight.get();
    }

    /** Ranged GETs sent for parallel transfers so far (retries included). */
    public long partsFetched() {
        return partsFetched.get();
    }
}
