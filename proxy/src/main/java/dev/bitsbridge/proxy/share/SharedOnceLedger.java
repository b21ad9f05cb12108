package dev.bitsbridge.proxy.share;

import dev.bitsbridge.proxy.state.SharedState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongUnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One-time share links spent exactly once across a cluster (scale-out, docs/scale-out.md). Each
 * link's ledger is one shared object, {@code once/<SHA-256 hex of the link id>.json}
 * ({@link OnceRecord}), changed only by compare-and-swap:
 * <ol>
 *   <li>{@link #claim}: a GET reads the ledger; spent → 410, another instance's lease still
 *       running → busy (409 after a few tries), over the budget → 410; else it writes its lease
 *       (owner, until) into it. Of instances racing for the link exactly one swap succeeds.</li>
 *   <li>While the transfer runs the lease is renewed every {@link #LEASE}/3; an instance killed
 *       mid-transfer stops renewing, and after at most {@link #LEASE} the next claim takes the
 *       link over (its delivered bytes up to the last merge still count).</li>
 *   <li>{@link #release}: when the response ends, its delivery is merged into the ledger read
 *       afresh (ranges, served, spent when covered) and the lease dropped, in one swap.</li>
 * </ol>
 * Spent is final: an instance remembers links it saw spent and answers 410 without S3.
 *
 * <p>Requests: a claim is a LIST + GET + PUT (3), a HEAD's check LIST + GET (2), a release
 * LIST + GET + PUT, a renewal the same every 10 s.
 *
 * <p>Threading: the futures complete on the I/O executor (callers come back with
 * {@code ClientResponse.onLoop}); {@link Claim#delivered} is called on the response's event loop,
 * before {@link #release}. Thread-safe.
 */
public final class SharedOnceLedger {

    private static final Logger log = LoggerFactory.getLogger(SharedOnceLedger.class);
    /** How long a claim holds without renewal: the longest a killed instance blocks its link. */
    public static final Duration LEASE = Duration.ofSeconds(30);
    static final String PREFIX = "once/";
    private static final int SWAP_ATTEMPTS = 8;

    /** What a claim came to. */
    public enum Outcome {
        CLAIMED, BUSY, SPENT, OVER_BUDGET
    }

    /** A held claim: its lease, and the deliveries of its response, merged at {@link #release}. */
    public final class Claim {
        private final ShareToken token;
        private final String owner;
        private final Outcome outcome;
        private final List<long[]> deliveries = new ArrayList<>();
        private final List<Boolean> completes = new ArrayList<>();
        private volatile ScheduledFuture<?> renewal;

        private Claim(ShareToken token, String owner, Outcome outcome) {
            this.token = token;
            this.owner = owner;
            this.outcome = outcome;
        }

        public Outcome outcome() {
            return outcome;
        }

        /** What the response delivered (a {@code ClientResponse.DeliveryListener}). */
        public synchronized void delivered(long first, long length, long written, long size, boolean complete) {
            deliveries.add(new long[] {first, length, written, size});
            completes.add(complete);
        }
    }

    private final SharedState state;
    private final Executor io;
    private final ScheduledExecutorService timer;
    private final Clock clock;
    private final String instance;
    private final long leaseMillis;
    private final AtomicLong claims = new AtomicLong();
    private final Set<String> spent = ConcurrentHashMap.newKeySet();

    /** @param timer schedules lease renewals (which then run on {@code io}) */
    public SharedOnceLedger(SharedState state, Executor io, ScheduledExecutorService timer, Clock clock) {
        this(state, io, timer, clock, LEASE);
    }

    /** @param lease how long a claim holds without renewal (renewed every third of it) */
    SharedOnceLedger(SharedState state, Executor io, ScheduledExecutorService timer, Clock clock, Duration lease) {
        this.leaseMillis = lease.toMillis();
        this.state = state;
        this.io = io;
        this.timer = timer;
        this.clock = clock;
        byte[] b = new byte[6];
        new SecureRandom().nextBytes(b);
        this.instance = ProcessHandle.current().pid() + "-" + HexFormat.of().formatHex(b);
    }

    /** Whether this instance saw the link spent (no I/O; spent is final). */
    public boolean spentHere(ShareToken t) {
        return spent.contains(t.id());
    }

    /** Whether the link is spent, as the shared ledger says (for a HEAD, which claims nothing). */
    public CompletableFuture<Boolean> spent(ShareToken t) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                SharedState.Versioned v = state.get(nameOf(t));
                boolean s = v != null && OnceRecord.parse(v.body()).spent;
                if (s) {
                    spent.add(t.id());
                }
                return s;
            } catch (IOException e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }, io);
    }

    /**
     * Claims the link for one transfer.
     *
     * @param wanted the bytes the request asks of an object of the given size (-1: not known yet)
     */
    public CompletableFuture<Claim> claim(ShareToken t, LongUnaryOperator wanted) {
        String owner = instance + "/" + claims.incrementAndGet();
        return CompletableFuture.supplyAsync(() -> {
            try {
                return new Claim(t, owner, tryClaim(t, owner, wanted));
            } catch (IOException e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }, io).thenApply(c -> {
            if (c.outcome == Outcome.CLAIMED) {
                long every = leaseMillis / 3;
                c.renewal = timer.scheduleAtFixedRate(() -> io.execute(() -> renew(c)), every, every,
                        TimeUnit.MILLISECONDS);
            }
            return c;
        });
    }

    private Outcome tryClaim(ShareToken t, String owner, LongUnaryOperator wanted) throws IOException {
        for (int attempt = 0; attempt < SWAP_ATTEMPTS; attempt++) {
            SharedState.Versioned v = state.get(nameOf(t));
            OnceRecord r = v == null ? new OnceRecord() : OnceRecord.parse(v.body());
            long now = clock.millis();
            if (r.spent) {
                spent.add(t.id());
                return Outcome.SPENT;
            }
            if (r.leasedByOther(owner, now)) {
                return Outcome.BUSY;
            }
            if (r.leaseOwner != null) {
                log.info("one-time share link for {}: taking over a claim whose instance stopped renewing it", t.path());
            }
            if (!r.withinBudget(wanted.applyAsLong(r.size))) {
                return Outcome.OVER_BUDGET;
            }
            r.expires = t.expiresEpochSecond();
            r.leaseOwner = owner;
            r.leaseUntil = now + leaseMillis;
            String tag = v == null ? state.create(nameOf(t), r.toJson()) : state.replace(nameOf(t), r.toJson(), v.etag());
            if (tag != null) {
                return Outcome.CLAIMED;
            }
            // another instance changed the ledger meanwhile: read again, decide again
        }
        return Outcome.BUSY;
    }

    private void renew(Claim c) {
        if (c.renewal == null || c.renewal.isCancelled()) {
            return;
        }
        try {
            for (int attempt = 0; attempt < SWAP_ATTEMPTS; attempt++) {
                SharedState.Versioned v = state.get(nameOf(c.token));
                OnceRecord r = v == null ? null : OnceRecord.parse(v.body());
                if (r == null || !c.owner.equals(r.leaseOwner)) {
                    log.warn("one-time share link for {}: the claim of a running transfer was taken over"
                            + " (its renewal came too late)", c.token.path());
                    c.renewal.cancel(false);
                    return;
                }
                r.leaseUntil = clock.millis() + leaseMillis;
                if (state.replace(nameOf(c.token), r.toJson(), v.etag()) != null) {
                    return;
                }
            }
        } catch (IOException | RuntimeException e) {
            log.warn("could not renew the claim of a one-time share link: {}", e.toString());
        }
    }

    /**
     * Ends a claim however its response ended: merges what it delivered and drops the lease, in one
     * compare-and-swap on the I/O executor. The returned future is for tests and the drain.
     */
    public CompletableFuture<Void> release(Claim c) {
        ScheduledFuture<?> r = c.renewal;
        if (r != null) {
            r.cancel(false);
        }
        return CompletableFuture.runAsync(() -> {
            try {
                merge(c);
            } catch (IOException | RuntimeException e) {
                // The lease runs out by itself; what this response delivered is not counted.
                log.error("could not record a one-time share link's delivery in the state bucket: {}", e.toString());
            }
        }, io);
    }

    private void merge(Claim c) throws IOException {
        List<long[]> ds;
        List<Boolean> completes;
        synchronized (c) {
            ds = List.copyOf(c.deliveries);
            completes = List.copyOf(c.completes);
        }
        for (int attempt = 0; attempt < SWAP_ATTEMPTS * 2; attempt++) {
            SharedState.Versioned v = state.get(nameOf(c.token));
            OnceRecord r = v == null ? new OnceRecord() : OnceRecord.parse(v.body());
            r.expires = c.token.expiresEpochSecond();
            boolean nowSpent = r.spent;
            for (int i = 0; i < ds.size(); i++) {
                long[] d = ds.get(i);
                nowSpent = r.delivered(d[0], d[1], d[2], d[3], completes.get(i));
            }
            if (c.owner.equals(r.leaseOwner)) {
                r.leaseOwner = null;
                r.leaseUntil = 0;
            }
            String tag = v == null ? state.create(nameOf(c.token), r.toJson())
                    : state.replace(nameOf(c.token), r.toJson(), v.etag());
            if (tag != null) {
                if (nowSpent) {
                    spent.add(c.token.id());
                    log.info("one-time share link for {} spent ({} bytes)", c.token.path(), r.size);
                }
                return;
            }
        }
        throw new IOException("the ledger changed too often while a delivery was merged");
    }

    /** {@code once/<SHA-256 hex of the link id>.json}. */
    static String nameOf(ShareToken t) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(t.id().getBytes(StandardCharsets.UTF_8));
            return PREFIX + HexFormat.of().formatHex(h) + ".json";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
