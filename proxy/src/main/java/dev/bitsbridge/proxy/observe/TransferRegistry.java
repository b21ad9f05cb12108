package dev.bitsbridge.proxy.observe;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the status page shows: the transfers in progress, the last errors, and running totals.
 *
 * <p>Threading: each {@link Active} entry is written only by its connection's event loop (plain
 * volatile fields, one writer) and read by whichever loop serves the status page; the map and the
 * totals are concurrent; the error ring is guarded by its own lock and touched once per failed
 * request only.
 */
public final class TransferRegistry {

    static final int RECENT_ERRORS = 20;

    private final Map<Long, Active> active = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final ArrayDeque<Failure> errors = new ArrayDeque<>();
    private final LongAdder requests = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder bytesSent = new LongAdder();

    /** A response being produced. Written by one event loop, read by any thread. */
    public static final class Active {
        final long id;
        final String method;
        final String path;
        final String client;
        final Instant startedAt = Instant.now();
        final long startNanos = System.nanoTime();
        volatile int status;
        /** Body length announced by the response head; -1 until it is sent. */
        volatile long total = -1;
        /** Body bytes whose write to the client's socket completed. */
        volatile long bytes;
        /** The channel's {@link dev.bitsbridge.proxy.endpoint.ClientResponse#UPSTREAM_PARALLELISM}. */
        volatile io.netty.util.Attribute<java.util.function.IntSupplier> upstream;
        /** The channel's {@link dev.bitsbridge.proxy.endpoint.ClientResponse#CACHE_SHARE}. */
        volatile io.netty.util.Attribute<dev.bitsbridge.proxy.endpoint.CacheShare> cache;

        Active(long id, String method, String path, String client) {
            this.id = id;
            this.method = method;
            this.path = path;
            this.client = client;
        }
    }

    /** A response that failed (status 400 and above) or was cut off. */
    public record Failure(Instant time, String method, String path, String client, int status, String note) {
    }

    /** A point-in-time view for the status page. */
    public record Snapshot(List<Row> active, List<Failure> recentErrors, long requests, long failed, long bytesSent) {
    }

    /**
     * One active transfer as the page shows it; rate is the average since the request started;
     * upstreamConnections is what the download uses now (-1: not a download, or not started);
     * cacheBytes and s3Bytes are the body bytes sent from complete cached slices and those that came
     * from S3 (-1 both: not served through the disk cache).
     */
    public record Row(long id, String method, String path, String client, int status, long bytes, long total,
            long ageMillis, long bytesPerSecond, Instant startedAt, int upstreamConnections, long cacheBytes,
            long s3Bytes) {
    }

    Active start(String method, String path, String client) {
        Active a = new Active(ids.incrementAndGet(), method, path, client);
        active.put(a.id, a);
        return a;
    }

    /** @param failure why the request failed, as its error response said (null: none given) */
    void end(Active a, boolean complete, String failure) {
        active.remove(a.id);
        requests.increment();
        bytesSent.add(a.bytes);
        int status = a.status;
        if (status >= 400 || !complete) {
            failed.increment();
            Failure f = new Failure(Instant.now(), a.method, a.path, a.client, status,
                    complete ? failure : "connection closed before the response was complete");
            synchronized (errors) {
                if (errors.size() == RECENT_ERRORS) {
                    errors.removeFirst();
                }
                errors.addLast(f);
            }
        }
    }

    public int activeCount() {
        return active.size();
    }

    public Snapshot snapshot() {
        long now = System.nanoTime();
        List<Row> rows = new ArrayList<>();
        long sentInProgress = 0;
        for (Active a : active.values()) {
            long bytes = a.bytes;
            sentInProgress += bytes;
            long age = Math.max(1, (now - a.startNanos) / 1_000_000);
            var up = a.upstream == null ? null : a.upstream.get();
            var cache = a.cache == null ? null : a.cache.get();
            rows.add(new Row(a.id, a.method, a.path, a.client, a.status, bytes, a.total, age, bytes * 1000 / age,
                    a.startedAt, up == null ? -1 : up.getAsInt(), cache == null ? -1 : cache.bytesFromCache(),
                    cache == null ? -1 : cache.bytesFromS3()));
        }
        rows.sort(Comparator.comparingLong(Row::id));
        List<Failure> recent;
        synchronized (errors) {
            recent = new ArrayList<>(errors);
        }
        java.util.Collections.reverse(recent); // newest first
        // Bytes of transfers still going count too: the total moves during a long download.
        return new Snapshot(rows, recent, requests.sum(), failed.sum(), bytesSent.sum() + sentInProgress);
    }
}
