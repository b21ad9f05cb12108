package dev.bitsbridge.proxy.cache;

import dev.bitsbridge.proxy.config.CacheConfig;
import dev.bitsbridge.proxy.error.BridgeError;
import dev.bitsbridge.proxy.s3.S3Caller;
import dev.bitsbridge.proxy.upstream.Drain;
import dev.bitsbridge.proxy.upstream.UpstreamExchange;
import io.netty.handler.codec.http.HttpResponse;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared, range-aware disk cache (docs/cache.md): objects in aligned slices of
 * {@code sliceSize} bytes, keyed by the object's identity (name, ETag, size), each slice fetched
 * from S3 once however many clients ask for it at the same moment.
 *
 * <ul>
 *   <li>{@link #lookup}: the version to serve. Within {@code --cache-validity} of S3's last word,
 *       the cached metadata, without asking S3; else one probe ({@code GET bytes=0-0} with
 *       {@code If-None-Match}), shared by every request for the object that arrives meanwhile.
 *       A new ETag drops the old version's slices.</li>
 *   <li>{@link #open}: one slice of a version: the complete file, or the fill in flight (joined,
 *       not repeated), or a new fill; null when it cannot be cached (no room beside the fills in
 *       flight), and the reader fetches those bytes uncached.</li>
 * </ul>
 *
 * <p>Thread-safe: concurrent maps for versions, probes and fills; {@link SliceStore} locks its
 * index. Disk I/O happens on the event loop that needs it (slice and metadata files are small
 * sequential writes and reads, mostly in the page cache); an I/O error costs one log line a minute
 * and the bytes are served uncached, never a failed download.
 */
public final class SliceCache {

    private static final Logger log = LoggerFactory.getLogger(SliceCache.class);
    private static final long DISK_LOG_INTERVAL_MS = 60_000;
    static final int MAX_ENTRIES = 10_000;

    private final CacheConfig config;
    private final Clock clock;
    private final SliceStore store;
    private final BlockChecks checks;
    private final OpenSlices open;
    private final CacheStats stats = new CacheStats();
    /**
     * Versions known in memory, least recently used dropped past {@link #MAX_ENTRIES}: their
     * metadata files stay, and are read again when the object is next asked for.
     */
    private final Map<String, ObjectEntry> entries = Collections.synchronizedMap(
            new LinkedHashMap<>(1024, 0.75f, true) {
                private static final long serialVersionUID = 1L;

                @Override
                protected boolean removeEldestEntry(Map.Entry<String, ObjectEntry> eldest) {
                    return size() > MAX_ENTRIES;
                }
            });
    private final ConcurrentHashMap<String, CompletableFuture<ObjectEntry>> probes = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, SliceFill> fills = new ConcurrentHashMap<>();
    private final AtomicLong lastDiskLog = new AtomicLong(Long.MIN_VALUE / 2);

    private SliceCache(CacheConfig config, Clock clock, SliceStore store, BlockChecks checks, OpenSlices open) {
        this.open = open;
        this.config = config;
        this.clock = clock;
        this.store = store;
        this.checks = checks;
    }

    /** Opens the cache folder (created if missing), indexing the slices a previous run left. */
    public static SliceCache open(CacheConfig config, Clock clock) throws IOException {
        BlockChecks checks = new BlockChecks(clock);
        OpenSlices open = new OpenSlices(clock);
        // Deletions close the kept file first (Windows cannot delete or replace a file still open).
        SliceStore store = new SliceStore(config.dir(), config.maxBytes(), key -> {
            open.close(key);
            checks.forget(key);
        });
        return new SliceCache(config, clock, store, checks, open);
    }

    /** Closes the slice files kept open that have been idle for a while; any thread. */
    public void sweepIdle() {
        open.sweep();
    }

    /** At shutdown: closes the slice files kept open (responses still sending keep theirs until done). */
    public void close() {
        open.closeAll();
    }

    /** Slice files kept open for hits. */
    public int slicesOpen() {
        return open.size();
    }

    /** The keys (file names) of the slice files kept open. */
    java.util.List<String> openSliceKeys() {
        return open.keys();
    }

    /** A fill is about to rename its file over {@code key}'s: the kept channel of the old file is closed first. */
    void replacing(String key) {
        open.close(key);
    }

    public CacheStats stats() {
        return stats;
    }

    /** Bytes the slice files take, counting the reservations of fills in flight. */
    public long sizeBytes() {
        return store.size();
    }

    public long maxBytes() {
        return store.maxBytes();
    }

    public int slicesStored() {
        return store.sliceCount();
    }

    public long evictions() {
        return store.evictions();
    }

    CacheConfig config() {
        return config;
    }

    /**
     * The version of the object to serve from the cache, or null (the future's value) when the
     * request should go the uncached way. Completes on any thread.
     */
    public CompletableFuture<ObjectEntry> lookup(Origin origin) {
        String name = origin.objectName();
        ObjectEntry e = entries.get(name);
        if (e == null) {
            e = MetaFile.read(store.metaFile(name), name, config.sliceSize());
            if (e != null) {
                ObjectEntry prev = entries.putIfAbsent(name, e);
                e = prev == null ? e : prev;
            }
        }
        if (e != null && e.freshAt(clock.millis(), config.validity())) {
            return CompletableFuture.completedFuture(e);
        }
        CompletableFuture<ObjectEntry> f = new CompletableFuture<>();
        CompletableFuture<ObjectEntry> running = probes.putIfAbsent(name, f);
        if (running != null) {
            return running;
        }
        f.whenComplete((v, err) -> probes.remove(name, f));
        ObjectEntry cached = e;
        if (cached != null) {
            stats.revalidated();
        }
        origin.caller().call(origin.loop(), origin.request("bytes=0-0", null, cached == null ? null : cached.etag()),
                new S3Caller.Callback() {
                    @Override
                    public void onResponse(UpstreamExchange ex, HttpResponse head) {
                        if (head.status().code() == 200) {
                            ex.abort(); // the whole object is coming: a probe does not read it
                        } else {
                            Drain.drain(ex);
                        }
                        f.complete(probed(name, cached, ProbeAnswer.of(head.status().code(), head.headers(), cached)));
                    }

                    @Override
                    public void onError(BridgeError error, String detail) {
                        f.complete(null);
                    }
                });
        return f;
    }

    private ObjectEntry probed(String name, ObjectEntry cached, ProbeAnswer answer) {
        long now = clock.millis();
        switch (answer.kind()) {
            case UNCHANGED -> {
                cached.validated(now);
                persist(cached);
                return cached;
            }
            case NEW_VERSION -> {
                ObjectEntry fresh = new ObjectEntry(name, answer.meta(), config.sliceSize(), now);
                if (cached != null && !cached.idHash().equals(fresh.idHash())) {
                    dropVersion(cached);
                }
                entries.put(name, fresh);
                persist(fresh);
                return fresh;
            }
            case GONE -> {
                if (cached != null) {
                    dropVersion(cached);
                    entries.remove(name, cached);
                }
                return null;
            }
            default -> {
                return null;
            }
        }
    }

    private void persist(ObjectEntry e) {
        try {
            MetaFile.write(store.metaFile(e.name()), e);
        } catch (IOException | RuntimeException ex) {
            diskError(ex);
        }
    }

    private void dropVersion(ObjectEntry e) {
        stats.invalidated();
        store.discardAll(e.idHash());
    }

    /**
     * S3 refused a fill's If-Match pin: the version being served is gone. Its slices and metadata
     * are dropped, so the next request looks the object up again.
     */
    void changed(ObjectEntry e) {
        if (entries.remove(e.name(), e)) {
            try {
                Files.deleteIfExists(store.metaFile(e.name()));
            } catch (IOException ex) {
                diskError(ex);
            }
        }
        dropVersion(e);
    }

    /**
     * Slice {@code index} of version {@code e} for one reader, who must {@link SliceData#release}
     * it: stored, in flight, or a new fill sent from {@code origin}; null to read it uncached.
     * {@code [from, to)} are the bytes of the slice the reader wants: when every block they touch
     * has passed its checksum in this very file, the slice is opened without reading its header.
     */
    SliceData open(ObjectEntry e, long index, Origin origin, int from, int to) {
        String key = e.sliceKey(index);
        for (int attempt = 0; attempt < 3; attempt++) {
            SliceFill f = fills.get(key);
            if (f != null) {
                if (f.acquire()) {
                    stats.collapsed();
                    return f;
                }
                continue; // it just ended: its file is indexed, or it failed
            }
            if (store.contains(key)) {
                OpenSlices.Handle recent = open.acquireConfirmed(key);
                SliceData kept = recent == null ? null : fromKept(recent, key, e.sliceLength(index), from, to);
                if (kept != null) {
                    stats.hit();
                    return kept;
                }
                Path file = store.sliceFile(key);
                // Taken before the file is opened: a file replaced in between is checked again, never trusted.
                BlockChecks.FileState state = BlockChecks.FileState.of(file);
                SliceData stored = state == null ? null : stored(e, index, key, file, state, from, to);
                if (stored != null) {
                    stats.hit();
                    return stored;
                }
                if (Files.exists(file)) {
                    corrupt(e, index); // torn, truncated, or not this slice: fetched again below
                } else {
                    store.discard(key); // evicted (or deleted by hand) since the index was read
                }
            }
            if (!store.reserve(SliceFill.fileSize(e, index))) {
                stats.bypassed();
                return null; // no room beside the fills in flight
            }
            SliceFill started = startFill(e, index, origin, true);
            if (started != null) {
                return started;
            }
            // Another reader started or finished this slice meanwhile: look again.
        }
        stats.bypassed();
        return null;
    }

    /**
     * The complete file of slice {@code key} in {@code state}, from the files kept open when it is
     * there in that state, else opened (its header checked, or, when every block the reader wants
     * passed in this very state, for those blocks only) and kept open for the next hit.
     */
    private SliceData stored(ObjectEntry e, long index, String key, Path file, BlockChecks.FileState state, int from,
            int to) {
        int length = e.sliceLength(index);
        int blocks = SliceFile.blocks(length);
        try {
            OpenSlices.Handle h = open.acquire(key, state);
            SliceData kept = h == null ? null : fromKept(h, key, length, from, to);
            if (kept != null) {
                return kept;
            }
            BlockChecks.Mark m = checks.trusted(key, state);
            if (covers(m, from, to)) {
                FileChannel ch = SliceFile.openData(file);
                if (ch == null) {
                    return null;
                }
                h = new OpenSlices.Handle(new SliceFile.Opened(ch, m.dataOffset(), null), state);
                open.keep(key, h);
                return new StoredSlice(h, length, m);
            }
            SliceFile.Opened o = SliceFile.open(file, e.identity(), index, length);
            if (o == null) {
                return null;
            }
            h = new OpenSlices.Handle(o, state);
            open.keep(key, h);
            return new StoredSlice(h, length, checks.markFor(key, state, o.dataOffset(), blocks));
        } catch (IOException ex) {
            log.debug("cache: reading a slice failed: {}", ex.toString());
            return null;
        }
    }

    /**
     * A reader of kept file {@code h} (the caller's reference passes to it), or null, the reference
     * released, when the file was opened for checked blocks only and the bytes wanted are not all
     * among them.
     */
    private SliceData fromKept(OpenSlices.Handle h, String key, int length, int from, int to) {
        BlockChecks.Mark m = checks.trusted(key, h.state()); // a read, not the map's compute
        if (h.crcs() != null) {
            // Opened in this very state with its header checked: as good as opening it now.
            return new StoredSlice(h, length, m != null ? m
                    : checks.markFor(key, h.state(), h.dataOffset(), SliceFile.blocks(length)));
        }
        if (covers(m, from, to)) {
            return new StoredSlice(h, length, m);
        }
        h.release(); // opened for checked blocks only, and these are not all: opened again
        return null;
    }

    private static boolean covers(BlockChecks.Mark m, int from, int to) {
        return m != null && to > from && m.passed(from / SliceFile.BLOCK, (to - 1) / SliceFile.BLOCK);
    }

    /**
     * Starts filling slice {@code index} ahead of a reader, unless it is stored or in flight;
     * true if this call started the fill.
     */
    boolean prefetch(ObjectEntry e, long index, Origin origin) {
        String key = e.sliceKey(index);
        if (!fills.containsKey(key) && !store.contains(key) && store.reserve(SliceFill.fileSize(e, index))) {
            return startFill(e, index, origin, false) != null;
        }
        return false;
    }

    /**
     * Starts a fill whose room is already reserved; null (the reservation returned) if another
     * fill of the slice is in flight, or one completed since the caller looked. A fill leaves
     * the map only after its file is indexed, so checking the index after taking the map's slot
     * leaves no moment in which a slice could be fetched twice.
     */
    private SliceFill startFill(ObjectEntry e, long index, Origin origin, boolean forReader) {
        String key = e.sliceKey(index);
        long size = SliceFill.fileSize(e, index);
        SliceFill nf = new SliceFill(this, e, index, size, store.sliceFile(key));
        if (fills.putIfAbsent(key, nf) != null) {
            store.unreserve(size);
            return null;
        }
        if (store.contains(key)) {
            fills.remove(key, nf);
            store.unreserve(size);
            return null;
        }
        if (forReader) {
            nf.acquire();
        }
        stats.miss();
        nf.start(origin);
        return nf;
    }

    /** A fill ended: its file is indexed (stored) or its reservation returned, then it leaves the map. */
    void fillEnded(SliceFill f, boolean stored) {
        String key = f.entry().sliceKey(f.index());
        if (stored) {
            store.stored(key, f.reservation(), f.reservation());
        } else {
            store.unreserve(f.reservation());
        }
        fills.remove(key, f);
    }

    /** A slice failed its checksum or its header: dropped, to be fetched again. */
    void corrupt(ObjectEntry e, long index) {
        stats.corrupt();
        log.warn("cache: a slice was unreadable or failed its checksum; discarded, it is fetched again from S3");
        store.discard(e.sliceKey(index));
    }

    void diskError(Throwable cause) {
        long n = stats.diskError();
        long now = System.currentTimeMillis();
        long last = lastDiskLog.get();
        if (now - last >= DISK_LOG_INTERVAL_MS && lastDiskLog.compareAndSet(last, now)) {
            log.warn("cache: could not write to the cache folder ({}); serving uncached meanwhile ({} errors so far)",
                    cause == null ? "unknown" : cause.toString(), n);
        }
    }
}
