package dev.bitsbridge.proxy.download;

/**
 * When a {@link ParallelDownload} fetches parts ahead of its client, and whether it keeps doing
 * so: adaptive concurrency, decided from what the client was delivered (bytes its socket took),
 * never from a guess about the path.
 *
 * <ol>
 *   <li><b>Ramp</b>: the first part (the client's own request) streams alone until the client has
 *       taken {@code rampBytes}. A client that never reads never gets past it.</li>
 *   <li>If the ramp took {@link #FAST_RAMP_NANOS} or more, one connection is slow (a round trip
 *       per window: the WAN case): parts start at once, at the cap. If it came faster, one
 *       connection is fast (loopback, LAN, a nearby endpoint): the first part streams alone until
 *       it is delivered whole, which costs little precisely because that connection is fast, and
 *       gives a steady one-connection rate instead of a burst into socket buffers.</li>
 *   <li><b>Probe</b>: parts run at the cap while the client takes {@code probeBytes} more; the
 *       rate it took them at is compared with the one-connection rate.</li>
 *   <li>At least {@link #MARGIN} times that rate: parts stay at the cap (<b>wide</b>). Less: the
 *       added connections added nothing the client could use (the client, the proxy's CPU or the
 *       origin is the limit), so no part is fetched ahead any more (<b>narrow</b>): each part is
 *       asked when the client reaches it and streams with the client's backpressure, as one
 *       connection does, without copies or memory held ahead.</li>
 * </ol>
 * With adaptive concurrency off, parts run at the cap once the ramp is taken (no probe).
 *
 * <p>Plain decision logic, times passed in (nanoseconds). Threading: confined to its transfer's
 * event loop.
 */
final class ParallelismRule {

    /** A ramp taken in less than this came over a fast connection (1 MiB in 10 ms: over 100 MB/s). */
    static final long FAST_RAMP_NANOS = 10_000_000L;
    /** Parts must bring at least this many times the one-connection rate to stay. */
    static final double MARGIN = 1.5;

    enum Phase {
        RAMP,
        ONE_CONNECTION,
        PROBE,
        WIDE,
        NARROW
    }

    private final long rampBytes;
    private final long probeBytes;
    private final boolean adaptive;
    private final long startNanos;
    private Phase phase = Phase.RAMP;
    private double oneRate;
    private double probeRate;
    private long probeFromBytes;
    private long probeFromNanos;

    /**
     * @param rampBytes what the client takes before any part is fetched ahead
     * @param probeBytes what the client takes, parts at the cap, before the rates are compared
     * @param adaptive false: parts run at the cap after the ramp, never narrowed
     * @param startNanos when the first part's body started (its answer's head was in)
     */
    ParallelismRule(long rampBytes, long probeBytes, boolean adaptive, long startNanos) {
        this.rampBytes = rampBytes;
        this.probeBytes = probeBytes;
        this.adaptive = adaptive;
        this.startNanos = startNanos;
    }

    /**
     * Whether parts may be fetched ahead now.
     *
     * @param took bytes of the response the client's socket took so far
     * @param firstPartDone the first part was handed over whole
     * @param now the time, in {@link System#nanoTime} terms
     */
    boolean ahead(long took, boolean firstPartDone, long now) {
        switch (phase) {
            case RAMP:
                if (took < rampBytes) {
                    return false;
                }
                if (!adaptive) {
                    phase = Phase.WIDE;
                    return true;
                }
                if (now - startNanos >= FAST_RAMP_NANOS) {
                    probe(took, now);
                    return true;
                }
                phase = Phase.ONE_CONNECTION;
                return ahead(took, firstPartDone, now);
            case ONE_CONNECTION:
                if (!firstPartDone) {
                    return false;
                }
                probe(took, now);
                return true;
            case PROBE:
                if (took - probeFromBytes >= probeBytes) {
                    probeRate = rate(took - probeFromBytes, now - probeFromNanos);
                    phase = probeRate >= MARGIN * oneRate ? Phase.WIDE : Phase.NARROW;
                }
                return phase != Phase.NARROW;
            case WIDE:
                return true;
            default:
                return false;
        }
    }

    private void probe(long took, long now) {
        oneRate = rate(took, now - startNanos);
        probeFromBytes = took;
        probeFromNanos = now;
        phase = Phase.PROBE;
    }

    private static double rate(long bytes, long nanos) {
        return bytes * 1e9 / Math.max(nanos, 1);
    }

    Phase phase() {
        return phase;
    }

    /** Bytes per second the client took over one connection (0 before it was measured). */
    double oneConnectionRate() {
        return oneRate;
    }

    /** Bytes per second the client took with parts at the cap (0 before it was measured). */
    double probeRate() {
        return probeRate;
    }
}
