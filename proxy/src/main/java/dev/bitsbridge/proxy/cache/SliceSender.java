package dev.bitsbridge.proxy.cache;

import dev.bitsbridge.proxy.endpoint.ClientResponse;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Sends bytes {@code [from, to)} of one slice to the client from its file, one checksum block at a
 * time: a block is read, its CRC32C checked, and only then are its bytes written, so a corrupt or
 * torn block is never sent (the stream fetches the slice again instead). The next block is read
 * only while the client connection is writable, and from a fill only once S3's bytes for it are on
 * disk: a reader holds one block (64 KiB) at most, whatever the slice or the client.
 *
 * <p>Threading: confined to the client's event loop; fills wake it through a {@link SliceData.Waiter}
 * on that loop. Buffer ownership: each block buffer is handed to {@link ClientResponse#body} or
 * released here.
 */
final class SliceSender {

    /** What the stream is told. All on the client's event loop. */
    interface Host {
        /** Before the first bytes: sends the head if it is not out yet; false if the response is over. */
        boolean beforeBytes();

        void sent(int n);

        void sliceDone();

        /** A block failed its checksum or could not be read. */
        void corrupt();

        /** The fill ended without the bytes still needed. */
        void failed(SliceData.Failure why);
    }

    private final ClientResponse out;
    private final SliceData data;
    private final int to;
    private final Host host;
    private final CacheStats stats;
    private final SliceData.Waiter waiter;
    private int pos;
    private boolean stopped;

    SliceSender(ClientResponse out, SliceData data, int from, int to, Host host, CacheStats stats) {
        this.out = out;
        this.data = data;
        this.pos = from;
        this.to = to;
        this.host = host;
        this.stats = stats;
        this.waiter = new SliceData.Waiter(out.ctx().executor(), this::pump);
    }

    void pump() {
        while (!stopped && pos < to) {
            if (!out.writable()) {
                out.whenWritable(this::pump);
                return;
            }
            int block = pos / SliceFile.BLOCK;
            int blockStart = block * SliceFile.BLOCK;
            int blockEnd = Math.min(blockStart + SliceFile.BLOCK, data.length());
            SliceData.Failure failure = data.failure(); // read first: once failed, available() is final
            if (data.available() < blockEnd) {
                if (failure != null) {
                    stopped = true;
                    host.failed(failure);
                } else {
                    data.await(waiter, blockEnd);
                }
                return;
            }
            int len = blockEnd - blockStart;
            ByteBuf buf = out.ctx().alloc().directBuffer(len);
            if (!read(buf, block, blockStart, len)) {
                buf.release();
                stopped = true;
                host.corrupt();
                return;
            }
            int end = Math.min(to, blockEnd) - blockStart;
            buf.readerIndex(pos - blockStart).writerIndex(end);
            if (!host.beforeBytes()) {
                buf.release();
                stopped = true;
                return;
            }
            int n = buf.readableBytes();
            pos += n;
            stats.fromCache(n);
            host.sent(n);
            out.body(buf);
        }
        if (!stopped) {
            stopped = true;
            host.sliceDone();
        }
    }

    private boolean read(ByteBuf buf, int block, int blockStart, int len) {
        ByteBuffer nio = buf.nioBuffer(0, len);
        try {
            while (nio.hasRemaining()) {
                if (data.channel().read(nio, data.dataOffset() + blockStart + nio.position()) < 0) {
                    return false;
                }
            }
        } catch (IOException e) {
            return false;
        }
        buf.writerIndex(len);
        nio.flip();
        return SliceFile.crc(nio) == data.blockCrc(block);
    }

    void stop() {
        stopped = true;
    }
}
