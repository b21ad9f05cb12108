package dev.bitsbridge.proxy.cache;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Which blocks of which slice files have passed their CRC32C since the proxy started, so that a
 * hit on them can be sent straight from the file ({@code sendfile}) instead of being read into
 * memory and checked on every request (docs/cache.md, "Integrity").
 *
 * <p>A {@link Mark} belongs to one file as it was when it was checked: its file key (device and
 * inode), size and modification time. A file that changed in any way the file system records (a
 * write into it, a truncation, another file renamed over it) no longer matches, and its blocks are
 * checked again at their next read. A mark also lapses {@link #RECHECK_MILLIS} after it was made,
 * so a block that rots under an unchanged file is caught within that time of use. Marks are
 * forgotten when their slice is evicted or discarded; at most one per slice on disk (about 150
 * bytes each: 8 MB for a 200 GB cache of 4 MiB slices).
 *
 * <p>Thread-safe: a concurrent map; a mark's bits are atomic (readers on several event loops set
 * them).
 */
final class BlockChecks {

    /** How long a block passed stays trusted without being checked again. */
    static final long RECHECK_MILLIS = 10 * 60_000L;

    private final Clock clock;
    private final ConcurrentHashMap<String, Mark> marks = new ConcurrentHashMap<>();

    BlockChecks(Clock clock) {
        this.clock = clock;
    }

    /** What a file is, as far as the file system tells: a file that changed no longer matches. */
    record FileState(Object fileKey, long size, long modified) {

        /** The file as it is now; null if it is gone or cannot be read. */
        static FileState of(Path file) {
            try {
                BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
                return new FileState(a.fileKey(), a.size(), a.lastModifiedTime().toMillis());
            } catch (NoSuchFileException e) {
                return null;
            } catch (IOException e) {
                return null;
            }
        }

        boolean sameAs(FileState o) {
            // Without a file key (some file systems), size and time alone must do.
            return o != null && size == o.size && modified == o.modified && Objects.equals(fileKey, o.fileKey);
        }
    }

    /** The checked blocks of one slice file in one state. */
    static final class Mark {
        private final FileState state;
        private final long dataOffset;
        private final long madeAt;
        private final AtomicLongArray bits;

        Mark(FileState state, long dataOffset, int blocks, long madeAt) {
            this.state = state;
            this.dataOffset = dataOffset;
            this.madeAt = madeAt;
            this.bits = new AtomicLongArray((blocks + 63) / 64);
        }

        long dataOffset() {
            return dataOffset;
        }

        /** Block {@code block} passed its checksum (read from this file in this state). */
        void passed(int block) {
            long bit = 1L << (block & 63);
            int i = block >>> 6;
            long v;
            do {
                v = bits.get(i);
            } while ((v & bit) == 0 && !bits.compareAndSet(i, v, v | bit));
        }

        boolean passed(int fromBlock, int toBlock) {
            for (int b = fromBlock; b <= toBlock; b++) {
                if ((bits.get(b >>> 6) & (1L << (b & 63))) == 0) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * The mark to record checks of {@code key}'s file in {@code state} into: the current one if it
     * is for that state and has not lapsed, else a new, empty one. Take {@code state} before
     * opening the file, so a file replaced in between can only be checked again, never trusted.
     */
    Mark markFor(String key, FileState state, long dataOffset, int blocks) {
        long now = clock.millis();
        return marks.compute(key, (k, m) -> m != null && current(m, state, now) ? m
                : new Mark(state, dataOffset, blocks, now));
    }

    /**
     * The mark of {@code key} if the file is still in the state it was checked in and the mark has
     * not lapsed; null otherwise (the file must be read and checked).
     */
    Mark trusted(String key, FileState state) {
        Mark m = marks.get(key);
        return m != null && current(m, state, clock.millis()) ? m : null;
    }

    private static boolean current(Mark m, FileState state, long now) {
        return state != null && m.state.sameAs(state) && now >= m.madeAt && now - m.madeAt < RECHECK_MILLIS;
    }

    /** The slice file was deleted (evicted, discarded, replaced). */
    void forget(String key) {
        marks.remove(key);
    }

    int size() {
        return marks.size();
    }
}
