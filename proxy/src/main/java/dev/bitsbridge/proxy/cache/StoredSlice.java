package dev.bitsbridge.proxy.cache;

import io.netty.channel.DefaultFileRegion;
import io.netty.channel.FileRegion;
import java.nio.channels.FileChannel;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A complete slice file, its header checked, with what is known of its blocks
 * ({@link BlockChecks.Mark}), for one reader. The file is an {@link OpenSlices.Handle}, which may
 * be shared with other readers and kept open by {@link OpenSlices}; this reader's reference on it
 * is released once the reader has released the slice and every {@link #region} cut from it has
 * been written or dropped by Netty (the regions share the channel, so they are counted).
 * Thread-safe counting; otherwise used on the reader's event loop.
 */
final class StoredSlice implements SliceData {

    private final OpenSlices.Handle file;
    private final int length;
    private final BlockChecks.Mark mark;
    private final AtomicInteger refs = new AtomicInteger(1);

    /** @param file a reference this slice takes over (released when the slice is done) */
    StoredSlice(OpenSlices.Handle file, int length, BlockChecks.Mark mark) {
        this.file = file;
        this.length = length;
        this.mark = mark;
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public long available() {
        return length;
    }

    @Override
    public int blockCrc(int block) {
        return file.crcs()[block];
    }

    @Override
    public FileChannel channel() {
        return file.channel();
    }

    @Override
    public long dataOffset() {
        return file.dataOffset();
    }

    @Override
    public Failure failure() {
        return null;
    }

    @Override
    public void await(Waiter w, long needed) {
        w.signal(); // everything is already there
    }

    @Override
    public boolean passed(int fromBlock, int toBlock) {
        return mark != null && mark.passed(fromBlock, toBlock);
    }

    @Override
    public void passed(int block) {
        if (mark != null) {
            mark.passed(block);
        }
    }

    @Override
    public FileRegion region(int from, int to) {
        refs.incrementAndGet();
        return new SharedRegion(file.channel(), file.dataOffset() + from, to - from, this);
    }

    @Override
    public void release() {
        if (refs.decrementAndGet() == 0) {
            file.release();
        }
    }

    /** A region of the slice's channel that, once Netty is done with it, releases its share instead of closing it. */
    private static final class SharedRegion extends DefaultFileRegion {
        private final StoredSlice owner;

        SharedRegion(FileChannel channel, long position, long count, StoredSlice owner) {
            super(channel, position, count);
            this.owner = owner;
        }

        @Override
        protected void deallocate() {
            owner.release();
        }
    }
}
