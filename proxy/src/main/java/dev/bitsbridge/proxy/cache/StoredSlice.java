package dev.bitsbridge.proxy.cache;

import java.io.IOException;
import java.nio.channels.FileChannel;

/** A complete slice file, its header checked; owned by one reader, which closes it. Not thread-safe. */
final class StoredSlice implements SliceData {

    private final SliceFile.Opened file;
    private final int length;

    StoredSlice(SliceFile.Opened file, int length) {
        this.file = file;
        this.length = length;
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
    public void release() {
        try {
            file.channel().close();
        } catch (IOException e) {
            // nothing was written through it
        }
    }
}
