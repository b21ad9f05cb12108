package dev.bitsbridge.proxy.share;

import dev.bitsbridge.proxy.state.StateFiles;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one-time share links have delivered, and which are spent. A link is spent once the union
 * of the byte ranges delivered under it covers the whole object (a BITS job's HEAD and many
 * ranges, over days and restarts, or one whole GET); after that it answers 410.
 *
 * <p>"Delivered" is what reached the client (see {@code endpoint.DeliveryMeter}): all of a
 * response written whole, and of a response cut short what its client's machine acknowledged.
 * That may be a little less than the client holds (acknowledgements after the last look at the
 * socket are not seen); the client says what it holds when it resumes, so when the next
 * response starts inside the bytes the cut one wrote but could not confirm, the bytes before its
 * start count as delivered too. That is never more than the client has: it asks from there.
 *
 * <p>A delivered-bytes budget: a link may deliver at most {@link #BUDGET_TIMES} times its
 * object's size in all (repeats included). Repeated ranges that hold back the last byte never
 * cover the object; they run into the budget instead, and a request that would take the link over
 * it gets 410 ({@link #withinBudget}).
 *
 * <p>Durable: each link's progress is a small JSON file {@code <state-dir>/shares/<id>.json},
 * rewritten atomically (see {@link StateFiles}) on the I/O executor after each delivery, so the
 * spent state and the progress toward it survive a restart. Files of expired links are deleted at
 * start: an expired link is refused for its expiry anyway. With {@link SpentMarkers}, spending is
 * also recorded in the bucket, and a link not spent here is looked up there before it is served.
 *
 * <p>Thread-safe: the in-memory state is guarded by {@code this}; file and S3 work runs on the I/O
 * executor, never on an event loop.
 */
public final class SpentLedger {

    private static final Logger log = LoggerFactory.getLogger(SpentLedger.class);

    /** Times its object's size a one-time link may deliver in all. */
    public static final int BUDGET_TIMES = 2;

    private final Path dir;
    private final Executor io;
    private final SpentMarkers markers;
    private final Map<String, OnceRecord> entries = new HashMap<>();
    private final Set<String> dirty = new LinkedHashSet<>();
    private boolean flushScheduled;

    /** One-time links with a transfer in progress: at most one at a time each (issue #15, finding 7). */
    private final java.util.Set<String> busy = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * Claims a one-time link for one transfer; false when another is in progress. Twenty parallel
     * whole GETs all got the whole object before; now the second gets 409 until the first ends
     * (then it may resume, and bytes already delivered count toward the same union).
     */
    public boolean begin(ShareToken t) {
        return busy.add(t.id());
    }

    /** Ends a transfer claimed with {@link #begin}, however it ended. */
    public void end(ShareToken t) {
        busy.remove(t.id());
    }

    private SpentLedger(Path dir, Executor io, SpentMarkers markers) {
        this.dir = dir;
        this.io = io;
        this.markers = markers;
    }

    /** Loads the ledger in {@code dir} (created if absent), dropping links expired by {@code clock}. */
    public static SpentLedger open(Path dir, Executor io, SpentMarkers markers, Clock clock) throws IOException {
        SpentLedger l = new SpentLedger(StateFiles.ensureDir(dir), io, markers);
        long now = clock.instant().getEpochSecond();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(l.dir, "*.json")) {
            for (Path f : files) {
                try {
                    OnceRecord e = OnceRecord.parse(Files.readAllBytes(f));
                    if (e.expires <= now) {
                        Files.deleteIfExists(f);
                        continue;
                    }
                    String name = f.getFileName().toString();
                    l.entries.put(name.substring(0, name.length() - ".json".length()), e);
                } catch (IOException | RuntimeException ex) {
                    log.warn("ignoring unreadable share ledger file of {}: {}",
                            dev.bitsbridge.proxy.state.LogIds.of("share", f.getFileName().toString()), ex.toString());
                }
            }
        }
        return l;
    }

    /** Whether the link is known spent here (no I/O). */
    public synchronized boolean spentHere(ShareToken t) {
        OnceRecord e = entries.get(fileId(t));
        return e != null && e.spent;
    }

    /** Whether the link must be looked up in the bucket before it is served. */
    public boolean checksMarkers() {
        return markers != null;
    }

    /** Looks for the link's marker in the bucket (on the I/O executor); remembers a spent answer. */
    public CompletableFuture<Boolean> spentInBucket(ShareToken t) {
        String id = fileId(t);
        return CompletableFuture.supplyAsync(() -> markers.isSpent(id), io).thenApply(spent -> {
            if (spent) {
                synchronized (this) {
                    OnceRecord e = entries.computeIfAbsent(id, k -> new OnceRecord());
                    e.expires = t.expiresEpochSecond();
                    e.spent = true;
                    markDirty(id);
                }
            }
            return spent;
        });
    }

    /**
     * Whether a transfer of {@code wanted} more bytes keeps the link within its budget. Call with
     * the link claimed ({@link #begin}), so no other transfer adds to it meanwhile.
     */
    public synchronized boolean withinBudget(ShareToken t, long wanted) {
        OnceRecord e = entries.get(fileId(t));
        return e == null || e.withinBudget(wanted);
    }

    /** The object's size as the link's last delivery saw it, or -1. */
    public synchronized long knownSize(ShareToken t) {
        OnceRecord e = entries.get(fileId(t));
        return e == null ? -1 : e.size;
    }

    /**
     * Records that {@code length} bytes from {@code first} of an object of {@code size} bytes were
     * delivered under {@code t}, of {@code written} bytes written. {@code complete}: the response
     * was written whole (it matters for an empty object, which is delivered by a complete
     * response of no bytes).
     */
    public void delivered(ShareToken t, long first, long length, long written, long size, boolean complete) {
        String id = fileId(t);
        boolean nowSpent;
        boolean coveredAll;
        synchronized (this) {
            OnceRecord e = entries.computeIfAbsent(id, k -> new OnceRecord());
            e.expires = t.expiresEpochSecond();
            if (e.spent) {
                return;
            }
            if (!complete) {
                log.info("one-time share link for {}: a cut response wrote {} bytes from {}, {} seen received",
                        t.path(), written, first, length);
            }
            nowSpent = e.delivered(first, length, written, size, complete);
            coveredAll = (size > 0 || complete) && e.covered.coversAll(size);
            markDirty(id);
        }
        if (nowSpent) {
            log.info("one-time share link for {} spent: {} ({} bytes)", t.path(),
                    coveredAll ? "every byte delivered" : "its budget of " + BUDGET_TIMES + "x the object used up", size);
            if (markers != null) {
                io.execute(() -> {
                    try {
                        markers.markSpent(id);
                    } catch (RuntimeException ex) {
                        log.warn("could not record the spent link in the bucket: {}", ex.toString());
                    }
                });
            }
        }
    }

    /** Bytes delivered under {@code t} in all, repeats included (the budget's measure). */
    public synchronized long servedBytes(ShareToken t) {
        OnceRecord e = entries.get(fileId(t));
        return e == null ? 0 : e.served;
    }

    /** Bytes of the object delivered so far under {@code t} (for tests and the status page). */
    public synchronized long deliveredBytes(ShareToken t) {
        OnceRecord e = entries.get(fileId(t));
        return e == null ? 0 : e.covered.coveredBytes();
    }

    /** Caller holds the lock. One flush task at a time writes every dirty entry. */
    private void markDirty(String id) {
        dirty.add(id);
        if (!flushScheduled) {
            flushScheduled = true;
            io.execute(this::flush);
        }
    }

    private void flush() {
        while (true) {
            String id;
            byte[] content;
            synchronized (this) {
                if (dirty.isEmpty()) {
                    flushScheduled = false;
                    return;
                }
                id = dirty.iterator().next();
                dirty.remove(id);
                content = entries.get(id).toJson();
            }
            try {
                StateFiles.write(dir.resolve(id + ".json"), content);
            } catch (IOException e) {
                log.error("could not write the share ledger: {}", e.toString());
            }
        }
    }

    /**
     * The link id as a file name: hex, because ids are base64url and differ in letter case, which
     * Windows file names do not.
     */
    static String fileId(ShareToken t) {
        byte[] raw = Base64.getUrlDecoder().decode(t.id());
        StringBuilder sb = new StringBuilder(raw.length * 2);
        for (byte b : raw) {
            sb.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
        }
        return sb.toString();
    }
}
