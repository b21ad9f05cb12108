package dev.bitsbridge.proxy.cache;

import dev.bitsbridge.proxy.endpoint.ClientResponse;
import io.netty.buffer.ByteBuf;
import io.netty.channel.FileRegion;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Sends bytes {@code [from, to)} of one slice to the client from its file. A block not yet checked
 * in this file ({@link BlockChecks}) is read whole, its CRC32C checked, and only then are its bytes
 * written, so a corrupt or torn block is never sent (the stream fetches the slice again instead);
 * once every block still to send has passed, the rest goes out as one {@link FileRegion}
 * (sendfile) on plain HTTP, or is read without checking again under TLS. The next block is read
 * only while the client connection is writable, the next region only once the last one is written,
 * and from a fill only once S3's bytes for it are on disk: a reader holds one block (64 KiB) or one
 * region (an open file, no memory) at most, whatever the slice or the client.
 *
 * <p>Threading: confined to the client's event loop; fills wake it through a {@link SliceData.Waiter}
 * on that loop. Buffer ownership: each block buffer and region is handed to {@link ClientResponse}
 * or released here.
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
    private final boolean zeroCopy;
    private final boolean endsResponse;
    private int pos;
    private boolean stopped;

    /** @param endsResponse {@code to} is the last byte of the response */
    SliceSender(ClientResponse out, SliceData data, int from, int to, boolean endsResponse, Host host,
            CacheStats stats) {
        this.endsResponse = endsResponse;
        this.out = out;
        this.data = data;
        this.pos = from;
        this.to = to;
        this.host = host;
        this.stats = stats;
        this.waiter = new SliceData.Waiter(out.ctx().executor(), this::pump);
        this.zeroCopy = out.zeroCopy();
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
            if (zeroCopy && data.passed(block, (to - 1) / SliceFile.BLOCK)) {
                sendRegion();
                return;
            }
            // A block that passed is read for just the bytes wanted; any other is read whole and checked.
            boolean passed = data.passed(block, block);
            int readFrom = passed ? pos : blockStart;
            int readTo = passed ? Math.min(to, blockEnd) : blockEnd;
            ByteBuf buf = out.ctx().alloc().directBuffer(readTo - readFrom);
            if (!read(buf, readFrom, readTo - readFrom, passed ? -1 : block)) {
                buf.release();
                stopped = true;
                host.corrupt();
                return;
            }
            if (!passed) {
                data.passed(block);
            }
            buf.readerIndex(pos - readFrom).writerIndex(Math.min(to, blockEnd) - readFrom);
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

    /**
     * The rest of the range, every block of it checked before in this very file: handed to the
     * kernel as it is (sendfile). The pump resumes once it is written, so one region at a time is
     * out (Netty's water marks do not count regions).
     */
    private void sendRegion() {
        if (!host.beforeBytes()) {
            stopped = true;
            return;
        }
        int n = to - pos;
        FileRegion region = data.region(pos, to);
        pos = to;
        stats.fromCache(n);
        stats.fromFile(n);
        host.sent(n);
        if (endsResponse) {
            // Nothing follows but the end of the response, whose flush sends this too: no wait.
            out.body(region, null);
            pump();
        } else {
            out.body(region, this::pump);
        }
    }

    /**
     * Reads {@code len} data bytes from {@code from} into {@code buf}; when {@code block} is not
     * negative they are that whole block, and must match its checksum.
     */
    private boolean read(ByteBuf buf, int from, int len, int block) {
        ByteBuffer nio = buf.nioBuffer(0, len);
        try {
            while (nio.hasRemaining()) {
                if (data.channel().read(nio, data.dataOffset() + from + nio.position()) < 0) {
                    return false;
                }
            }
        } catch (IOException e) {
            return false;
        }
        buf.writerIndex(len);
        nio.flip();
        return block < 0 || SliceFile.crc(nio) == data.blockCrc(block);
    }

    void stop() {
        stopped = true;
    }
}
