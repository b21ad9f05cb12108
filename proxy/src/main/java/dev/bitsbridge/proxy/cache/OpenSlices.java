package dev.bitsbridge.proxy.cache;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Complete slice files kept open between hits, so that a warm range costs at most one {@code stat}
 * of its slice file (none while the file was found unchanged within {@link #CONFIRM_MILLIS})
 * instead of a {@code stat}, an {@code open}, a header read and a {@code close} (docs/cache.md,
 * "Open slice files").
 *
 * <p>What is kept: a {@link Handle} per slice file, opened with its header checked
 * ({@link SliceFile#open}) or for blocks that had passed their checksums in that file
 * ({@link BlockChecks}), together with the {@link BlockChecks.FileState} (inode, size,
 * modification time) taken before it was opened. A handle is handed out only for a file found in
 * that same state, so a file replaced, truncated or written into is opened and checked again, and
 * an object's new version (another slice key) never meets an old version's channel; integrity is
 * exactly that of a freshly opened file.
 *
 * <p>Bounded: at most {@code maxOpen} files (least recently used closed first), each closed once
 * idle for {@code idleMillis} (at the next use of the cache or {@link #sweep}), when its slice is
 * evicted, discarded or about to be replaced, and all at {@link #closeAll}. Closing drops the
 * cache's reference only: a region still being sent keeps its channel until Netty is done with it.
 *
 * <p>Windows: a file open there (even one opened, as Java does, to allow deletion) keeps its name
 * until its last handle closes, so renaming a new file over it fails. Hence eviction, discard and
 * replacement close the cached channel before the file is deleted or replaced ({@link #close},
 * called from {@link SliceStore}'s deletion callback and from {@link SliceFill} before its rename).
 *
 * <p>Thread-safe: one lock around the index (held for map operations and for closing a channel
 * that nobody else holds); a handle's count is atomic (regions are released on any event loop).
 * Lock order: {@link SliceStore}'s lock, then this one, never the reverse.
 */
final class OpenSlices {

    /** Slice files open at most (4 MiB slices: 1 GiB of hot ranges). */
    static final int MAX_OPEN = 256;
    /** A slice file not hit for this long is closed. */
    static final long IDLE_MILLIS = 10_000;
    /**
     * How long a kept file's state, once found unchanged under its name, is taken as still so
     * without another {@code stat}: the path lookup was the largest single cost of a warm hit (9 %
     * of its CPU; an {@code fstat} of the open file still 5 %), and a hot slice is hit thousands of
     * times a second. A file written into or replaced by another process is noticed at its first
     * hit this long after the last look; one truncated meanwhile fails the response it is being
     * sent in (cut short, never complete: {@link Handle#suspect}) and is looked at by the next.
     */
    static final long CONFIRM_MILLIS = 1_000;

    private final Clock clock;
    private final int maxOpen;
    private final long idleMillis;
    private final LinkedHashMap<String, Handle> open = new LinkedHashMap<>(64, 0.75f, true);
    private boolean closed;

    OpenSlices(Clock clock) {
        this(clock, MAX_OPEN, IDLE_MILLIS);
    }

    OpenSlices(Clock clock, int maxOpen, long idleMillis) {
        this.clock = clock;
        this.maxOpen = maxOpen;
        this.idleMillis = idleMillis;
    }

    /**
     * One open slice file and what is known of it, shared by the cache and its readers: the
     * channel is closed when the last of them releases it.
     */
    static final class Handle {
        private final SliceFile.Opened file;
        private final BlockChecks.FileState state;
        private final AtomicInteger refs = new AtomicInteger(1);
        private long lastUsed; // under the OpenSlices lock
        private long confirmedAt; // under the OpenSlices lock: when its state was last found under its name
        private volatile boolean suspect; // set on any event loop, see suspect()

        /** @param state the file's state taken before it was opened; the caller holds the one reference */
        Handle(SliceFile.Opened file, BlockChecks.FileState state) {
            this.file = file;
            this.state = state;
        }

        FileChannel channel() {
            return file.channel();
        }

        long dataOffset() {
            return file.dataOffset();
        }

        /** The blocks' CRC32C from the checked header; null if it was opened for checked blocks only. */
        int[] crcs() {
            return file.crcs();
        }

        BlockChecks.FileState state() {
            return state;
        }

        /** Takes one more reference; false if the channel is already closed. */
        boolean retain() {
            return RefCounts.retainIfLive(refs);
        }

        void release() {
            if (refs.decrementAndGet() == 0) {
                try {
                    file.channel().close();
                } catch (IOException e) {
                    // only read through
                }
            }
        }

        boolean isOpen() {
            return file.channel().isOpen();
        }

        /**
         * A region of this file was not sent whole (the client left, or the file shrank under
         * it): the next hit looks at the file under its name before it trusts this handle again.
         */
        void suspect() {
            suspect = true;
        }
    }

    /**
     * The open file of slice {@code key} if it was opened in {@code state} (the state the file is
     * in now), with a reference for the caller to release; null otherwise (a handle of another
     * state is closed: the file changed).
     */
    Handle acquire(String key, BlockChecks.FileState state) {
        if (state == null) {
            close(key); // the file is gone: so is its channel
            return null;
        }
        return take(key, state);
    }

    /**
     * The open file of slice {@code key} if its state was found under its name less than
     * {@link #CONFIRM_MILLIS} ago and no region of it has failed since, with a reference for the
     * caller to release; null otherwise (then look at the file and {@link #acquire} with its state).
     */
    Handle acquireConfirmed(String key) {
        return take(key, null);
    }

    /**
     * Both lookups: with {@code looked} (the file's state just taken) a handle of that state is
     * handed out and counts as confirmed now, one of another state is closed; with null, a handle
     * is handed out only within its confirmation window and otherwise left for the caller's look.
     */
    private Handle take(String key, BlockChecks.FileState looked) {
        List<Handle> drop = new ArrayList<>(0); // no array until something is dropped
        Handle found = null;
        synchronized (this) {
            long now = clock.millis();
            expire(now, drop);
            Handle h = open.get(key);
            if (h != null) {
                boolean usable = looked != null ? h.state.sameAs(looked)
                        : !h.suspect && now >= h.confirmedAt && now - h.confirmedAt < CONFIRM_MILLIS;
                if (usable && h.isOpen() && h.retain()) {
                    h.lastUsed = now;
                    if (looked != null) {
                        h.confirmedAt = now;
                        h.suspect = false;
                    }
                    found = h;
                } else if (looked != null) {
                    open.remove(key); // changed, or closed underneath
                    drop.add(h);
                }
            }
        }
        drop.forEach(Handle::release);
        return found;
    }

    /**
     * Keeps {@code h}, which the caller opened for slice {@code key}, open for later hits (the
     * cache takes a reference of its own; the caller keeps its own). Replaces the handle kept for
     * the key before, if any; closes the least recently used past the bound. Nothing is kept
     * after {@link #closeAll}.
     */
    void keep(String key, Handle h) {
        List<Handle> drop = new ArrayList<>(1);
        synchronized (this) {
            if (closed || !h.retain()) {
                return;
            }
            long now = clock.millis();
            h.lastUsed = now;
            h.confirmedAt = now; // its state was taken just before it was opened
            Handle old = open.put(key, h);
            if (old != null && old != h) {
                drop.add(old);
            }
            expire(now, drop);
            Iterator<Handle> it = open.values().iterator();
            while (open.size() > maxOpen && it.hasNext()) {
                drop.add(it.next());
                it.remove();
            }
        }
        drop.forEach(Handle::release);
    }

    /** The slice file is about to be deleted or replaced: its kept channel is closed (first, for Windows). */
    void close(String key) {
        Handle h;
        synchronized (this) {
            h = open.remove(key);
        }
        if (h != null) {
            h.release();
        }
    }

    /** Closes the files idle for longer than the expiry. */
    void sweep() {
        List<Handle> drop = new ArrayList<>(0);
        synchronized (this) {
            expire(clock.millis(), drop);
        }
        drop.forEach(Handle::release);
    }

    /** At shutdown: closes every kept file and keeps none from now on. */
    void closeAll() {
        List<Handle> drop;
        synchronized (this) {
            closed = true;
            drop = new ArrayList<>(open.values());
            open.clear();
        }
        drop.forEach(Handle::release);
    }

    synchronized int size() {
        return open.size();
    }

    /** The slice keys whose files are kept open. */
    synchronized List<String> keys() {
        return new ArrayList<>(open.keySet());
    }

    /** Least recently used first: stops at the first handle used within the expiry. */
    private void expire(long now, List<Handle> drop) {
        Iterator<Map.Entry<String, Handle>> it = open.entrySet().iterator();
        while (it.hasNext()) {
            Handle h = it.next().getValue();
            if (now - h.lastUsed < idleMillis && now >= h.lastUsed) {
                return;
            }
            drop.add(h);
            it.remove();
        }
    }
}
