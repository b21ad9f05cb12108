package dev.bitsbridge.proxy.cache;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the cache counts, read by the metrics ({@code bitsbridge_cache_*}) and by tests. Counted per
 * slice a response needs: a hit (complete on disk), a miss (a fill started for it), collapsed
 * (joined a fill already in flight), bypassed (served uncached: no room, or the disk failed).
 *
 * <p>Thread-safe: adders and atomics, updated from every event loop.
 */
public final class CacheStats {

    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder collapsed = new LongAdder();
    private final LongAdder bypassed = new LongAdder();
    private final LongAdder corrupt = new LongAdder();
    private final LongAdder revalidations = new LongAdder();
    private final LongAdder invalidations = new LongAdder();
    private final LongAdder bytesFromCache = new LongAdder();
    private final LongAdder bytesFromFile = new LongAdder();
    private final LongAdder bytesFromS3 = new LongAdder();
    private final AtomicLong diskErrors = new AtomicLong();

    void hit() {
        hits.increment();
    }

    void miss() {
        misses.increment();
    }

    void collapsed() {
        collapsed.increment();
    }

    void bypassed() {
        bypassed.increment();
    }

    void corrupt() {
        corrupt.increment();
    }

    void revalidated() {
        revalidations.increment();
    }

    void invalidated() {
        invalidations.increment();
    }

    void fromCache(long n) {
        bytesFromCache.add(n);
    }

    /** Of the bytes from cache, sent straight from the file (sendfile), not read and checked again. */
    void fromFile(long n) {
        bytesFromFile.add(n);
    }

    void fromS3(long n) {
        bytesFromS3.add(n);
    }

    long diskError() {
        return diskErrors.incrementAndGet();
    }

    public long hits() {
        return hits.sum();
    }

    public long misses() {
        return misses.sum();
    }

    public long collapsedCount() {
        return collapsed.sum();
    }

    public long bypassedCount() {
        return bypassed.sum();
    }

    public long corruptSlices() {
        return corrupt.sum();
    }

    /** Conditional requests that asked S3 whether a cached version is still current. */
    public long revalidations() {
        return revalidations.sum();
    }

    /** Versions dropped because S3 had another one. */
    public long invalidations() {
        return invalidations.sum();
    }

    /** Body bytes sent to clients from slice files. */
    public long bytesFromCache() {
        return bytesFromCache.sum();
    }

    /** Body bytes received from S3 by fills and by uncached (bypassed) reads. */
    public long bytesFromS3() {
        return bytesFromS3.sum();
    }

    /** Of {@link #bytesFromCache}, bytes sent with sendfile: their blocks had passed their checksums before. */
    public long bytesSentFromFile() {
        return bytesFromFile.sum();
    }

    public long diskErrors() {
        return diskErrors.get();
    }
}
