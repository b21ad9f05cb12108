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
 *       per window: the WAN case) and parts start at once, at the cap. If it came faster, one
 *       connection is fast (loopback, LAN, a nearby endpoint): the first part streams alone until
 *       it is handed over whole, which costs little precisely because that connection is fast.</li>
 *   <li>If the first part's bytes waited for the client {@link #CLIENT_BOUND_SHARE} of its time or
 *       more, the client is slower than one connection: <b>narrow</b> (below) at once, no probe.</li>
 *   <li>The <b>one-connection rate</b> is the rate the client took the first part at (over a
 *       whole part, not a burst into socket buffers).</li>
 *   <li><b>Probe</b>: on a slow connection, with parts at the cap, the rate the client takes parts
 *       {@code probeFrom .. probeTo} at (by then the parts ahead have filled, so it is the
 *       steady rate, not a backlog handed over from memory). On a fast one, with
 *       {@link #FAST_PROBE_PARTS} parts receiving, the rate the client got the next
 *       {@link #FAST_PROBE_PARTS} parts at, from the moment they were asked.</li>
 *   <li>At least {@link #MARGIN} times the one-connection rate: parts stay at the cap
 *       (<b>wide</b>). Less: the added connections added nothing the client could use (the
 *       client, the proxy's CPU or the origin is the limit), so no part is fetched ahead any more
 *       (<b>narrow</b>): each part is asked when the client reaches it and streams with the
 *       client's backpressure, as one connection does, without copies or memory held ahead.</li>
 * </ol>
 * Decided once per transfer. With adaptive concurrency off, parts run at the cap once the ramp is
 * taken (no probe).
 *
 * <p>Plain decision logic, times passed in (nanoseconds). Threading: confined to its transfer's
 * event loop.
 */
final class ParallelismRule {

    /** A ramp taken in less than this came over a fast connection (1 MiB in 10 ms: over 100 MB/s). */
    static final long FAST_RAMP_NANOS = 10_000_000L;
    /**
     * The first part, alone on a fast connection, waited for the client this share of its time
     * or more: the client is slower than one connection, more connections cannot help it.
     */
    static final double CLIENT_BOUND_SHARE = 0.25;
    /** Parts a fast connection is probed with (a few suffice to multiply a fast connection's rate). */
    static final int FAST_PROBE_PARTS = 4;
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
    private int probeFrom;
    private int probeTo;
    private boolean fast;
    private final boolean adaptive;
    private final double margin;
    private final long startNanos;
    private Phase phase = Phase.RAMP;
    private double oneRate;
    private double probeRate;
    private long probeFromBytes = -1;
    private long probeFromNanos;

    /**
     * @param rampBytes what the client takes before any part is fetched ahead
     * @param probeFrom the part (index) the probe starts at, at least 1
     * @param probeTo the part the probe ends at, after {@code probeFrom}
     * @param adaptive false: parts run at the cap after the ramp, never narrowed
     * @param margin how many times the one-connection rate parts must bring to stay ({@link #MARGIN})
     * @param startNanos when the first part's body started (its answer's head was in)
     */
    ParallelismRule(long rampBytes, int probeFrom, int probeTo, boolean adaptive, double margin, long startNanos) {
        if (probeFrom < 1 || probeTo <= probeFrom) {
            throw new IllegalArgumentException("bad probe");
        }
        this.rampBytes = rampBytes;
        this.probeFrom = probeFrom;
        this.probeTo = probeTo;
        this.adaptive = adaptive;
        this.margin = margin;
        this.startNanos = startNanos;
    }

    /** The probe for a transfer with {@code maxParts} connections: the parts after the first half window. */
    static ParallelismRule forCap(long rampBytes, int maxParts, boolean adaptive, double margin, long startNanos) {
        int half = Math.max(1, maxParts / 2);
        return new ParallelismRule(rampBytes, half, 2 * half, adaptive, margin, startNanos);
    }

    /**
     * Whether parts may be fetched ahead now.
     *
     * @param took bytes of the response the client's socket took so far
     * @param head the part the client is reading (parts before it were handed over whole)
     * @param clientWaited how long, while the first part streamed, its bytes waited for the client
     * @param now the time, in {@link System#nanoTime} terms
     */
    boolean ahead(long took, int head, long clientWaited, long now) {
        switch (phase) {
            case RAMP:
                if (took < rampBytes) {
                    return false;
                }
                if (!adaptive) {
                    phase = Phase.WIDE;
                    return true;
                }
                fast = now - startNanos < FAST_RAMP_NANOS;
                phase = fast ? Phase.ONE_CONNECTION : Phase.PROBE;
                return ahead(took, head, clientWaited, now);
            case ONE_CONNECTION:
                if (head == 0) {
                    return false;
                }
                // A fast connection is probed with a few parts, from the moment they are asked
                // (so their fetching counts, not only their handing over from memory).
                phase = Phase.PROBE;
                probeFrom = head;
                probeTo = head + FAST_PROBE_PARTS;
                return ahead(took, head, clientWaited, now);
            case PROBE:
                probe(took, head, clientWaited, now);
                return phase != Phase.NARROW;
            case WIDE:
                return true;
            default:
                return false;
        }
    }

    private void probe(long took, int head, long clientWaited, long now) {
        if (head == 0) {
            return;
        }
        if (oneRate == 0) {
            oneRate = rate(took, now - startNanos);
            if (clientWaited >= CLIENT_BOUND_SHARE * (now - startNanos)) {
                // The first part already brought bytes faster than the client took them.
                phase = Phase.NARROW;
                return;
            }
        }
        if (probeFromBytes < 0) {
            if (head >= probeFrom) {
                probeFromBytes = took;
                probeFromNanos = now;
            }
            return;
        }
        if (head >= probeTo) {
            probeRate = rate(took - probeFromBytes, now - probeFromNanos);
            phase = probeRate >= margin * oneRate ? Phase.WIDE : Phase.NARROW;
        }
    }

    private static double rate(long bytes, long nanos) {
        return Math.max(bytes, 1) * 1e9 / Math.max(nanos, 1);
    }

    Phase phase() {
        return phase;
    }

    /**
     * Parts that may receive at once now: {@link #FAST_PROBE_PARTS} while a fast connection is
     * probed, else the cap.
     */
    int receivingCap(int cap) {
        return fast && phase == Phase.PROBE ? Math.min(cap, FAST_PROBE_PARTS) : cap;
    }

    /** Bytes per second the client took the first part at (0 before it was handed over). */
    double oneConnectionRate() {
        return oneRate;
    }

    /** Bytes per second the client took the probe's parts at, parts at the cap (0 before). */
    double probeRate() {
        return probeRate;
    }
}
