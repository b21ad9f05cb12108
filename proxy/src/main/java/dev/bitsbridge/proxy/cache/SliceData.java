package dev.bitsbridge.proxy.cache;

import io.netty.channel.FileRegion;
import io.netty.util.concurrent.EventExecutor;
import java.nio.channels.FileChannel;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The bytes of one slice as a reader sees them: a complete file ({@link StoredSlice}) or a fill
 * still receiving from S3 ({@link SliceFill}). Bytes below {@link #available()} are on disk with
 * their block checksums known; a reader checks each block before sending it either way.
 *
 * <p>A reader holds the slice from {@link SliceCache#open} to {@link #release()}; implementations
 * are thread-safe (a fill is read from several event loops while one writes it).
 */
interface SliceData {

    /** How a fill ended, when it did not complete. */
    enum Failure {
        /** S3 answered 412 to the If-Match pin: the object was replaced. */
        CHANGED,
        /** S3 failed, cut the body short, or answered something unusable. */
        UPSTREAM,
        /** The slice could not be written (disk full, I/O error). */
        DISK
    }

    int length();

    /** Data bytes on disk with their checksums, from the start of the slice. */
    long available();

    int blockCrc(int block);

    FileChannel channel();

    long dataOffset();

    /** Why no more bytes will come, or null while more may (or all are there). */
    Failure failure();

    /** Signals {@code w} once more bytes are available or the fill ended (at once if that already happened). */
    void await(Waiter w, long needed);

    void release();

    /** Whether blocks {@code fromBlock..toBlock} passed their checksum in this file since it was last changed. */
    default boolean passed(int fromBlock, int toBlock) {
        return false; // a fill in flight: every block is checked as it is read
    }

    /** Block {@code block} was read from this file and passed its checksum. */
    default void passed(int block) {
    }

    /**
     * Data bytes {@code [from, to)} as a region for zero-copy sending; only for blocks that
     * {@link #passed}. The reader's hold on the slice lasts until Netty is done with the region.
     */
    default FileRegion region(int from, int to) {
        throw new UnsupportedOperationException("only a stored slice is sent from its file");
    }

    /** A reader waiting for a fill, woken on its own event loop. One-shot: register again to wait again. */
    final class Waiter {
        private final EventExecutor executor;
        private final Runnable task;
        private final AtomicBoolean pending = new AtomicBoolean();

        Waiter(EventExecutor executor, Runnable task) {
            this.executor = executor;
            this.task = task;
        }

        void signal() {
            if (pending.compareAndSet(false, true)) {
                executor.execute(() -> {
                    pending.set(false);
                    task.run();
                });
            }
        }
    }
}
