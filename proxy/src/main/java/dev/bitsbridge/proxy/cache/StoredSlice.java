package dev.bitsbridge.proxy.cache;

import io.netty.channel.DefaultFileRegion;
import io.netty.channel.FileRegion;
import java.nio.channels.FileChannel;

/**
 * A complete slice file, its header checked, with what is known of its blocks
 * ({@link BlockChecks.Mark}), for one reader. The file is an {@link OpenSlices.Handle}, which may
 * be shared with other readers and kept open by {@link OpenSlices}; the reader holds one reference
 * on it (given back by {@link #release}) and every {@link #region} cut from it one more (given
 * back when Netty has written or dropped it), so the channel outlives both. Thread-safe counting
 * (the handle's); otherwise used on the reader's event loop.
 */
final class StoredSlice implements SliceData {

    private final OpenSlices.Handle file;
    private final int length;
    private final BlockChecks.Mark mark;

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
        file.retain(); // cannot fail: this slice holds a reference until it is released
        return new SharedRegion(file, file.dataOffset() + from, to - from);
    }

    @Override
    public void release() {
        file.release();
    }

    /** A region of the slice's channel that, once Netty is done with it, releases its share instead of closing it. */
    private static final class SharedRegion extends DefaultFileRegion {
        private final OpenSlices.Handle file;

        SharedRegion(OpenSlices.Handle file, long position, long count) {
            super(file.channel(), position, count);
            this.file = file;
        }

        @Override
        protected void deallocate() {
            if (transferred() < count()) {
                file.suspect(); // not sent whole: if the file shrank, the next hit must see it
            }
            file.release();
        }
    }
}
