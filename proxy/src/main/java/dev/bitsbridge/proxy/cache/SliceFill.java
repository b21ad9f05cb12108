package dev.bitsbridge.proxy.cache;

import dev.bitsbridge.proxy.error.BridgeError;
import dev.bitsbridge.proxy.http.ContentRange;
import dev.bitsbridge.proxy.http.EntityTags;
import dev.bitsbridge.proxy.s3.S3Caller;
import dev.bitsbridge.proxy.upstream.Drain;
import dev.bitsbridge.proxy.upstream.UpstreamException;
import dev.bitsbridge.proxy.upstream.UpstreamExchange;
import dev.bitsbridge.proxy.upstream.UpstreamListener;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32C;

/**
 * One slice fetched from S3 into the cache: a ranged GET for exactly the aligned slice, pinned with
 * {@code If-Match} to the ETag of the version being served, its answer's Content-Range and ETag
 * checked, its body written to a temporary file as it arrives (CRC32C per block), then the header
 * written and the file renamed into place. Every reader of the slice, the one that started it
 * and the ones that collapsed onto it, reads the file as it grows ({@link #available()}), each at
 * its own pace: the fill reads S3 as fast as the disk takes it and holds no buffer beyond the one
 * being written, so a slow client never slows the others, and no client's memory grows.
 *
 * <p>Lifetime: the fill holds one reference to its file channel and each reader one more; the
 * channel is closed when the last is released. Threading: S3 events arrive on the event loop the
 * fill was started on (disk writes happen there, into the page cache); readers on other loops
 * read {@link #available()} (volatile, published after the block checksums) and are woken through
 * their {@link SliceData.Waiter}. Buffer ownership: each upstream content is released once written.
 */
final class SliceFill implements SliceData, S3Caller.Callback, UpstreamListener {

    enum State {
        RUNNING,
        COMPLETE,
        FAILED
    }

    private final SliceCache cache;
    private final ObjectEntry entry;
    private final long index;
    private final int length;
    private final long reservation;
    private final Path dest;
    private final Path tmp;
    private final int[] crcs;
    private final CRC32C crc = new CRC32C();
    private final Queue<Waiter> waiters = new ConcurrentLinkedQueue<>();
    private final AtomicInteger refs = new AtomicInteger(1);
    private final int headerLength;
    private FileChannel channel;
    private long written;
    private volatile long published;
    private volatile State state = State.RUNNING;
    private volatile Failure failure;
    private S3Caller.Call call;

    SliceFill(SliceCache cache, ObjectEntry entry, long index, long reservation, Path dest) {
        this.cache = cache;
        this.entry = entry;
        this.index = index;
        this.length = entry.sliceLength(index);
        this.reservation = reservation;
        this.dest = dest;
        this.tmp = dest.resolveSibling(dest.getFileName() + SliceStore.TMP + System.nanoTime());
        this.crcs = new int[SliceFile.blocks(length)];
        this.headerLength = SliceFile.headerLength(entry.identity(), length);
    }

    static long fileSize(ObjectEntry e, long index) {
        int len = e.sliceLength(index);
        return (long) SliceFile.headerLength(e.identity(), len) + len;
    }

    long reservation() {
        return reservation;
    }

    ObjectEntry entry() {
        return entry;
    }

    long index() {
        return index;
    }

    void start(Origin origin) {
        try {
            Files.createDirectories(tmp.getParent());
            channel = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    StandardOpenOption.READ);
        } catch (IOException | RuntimeException e) {
            fail(Failure.DISK, e);
            return;
        }
        long first = entry.sliceStart(index);
        call = origin.caller().call(origin.loop(),
                origin.request("bytes=" + first + "-" + (first + length - 1), entry.etag(), null), this);
    }

    @Override
    public void onResponse(UpstreamExchange ex, HttpResponse head) {
        if (state != State.RUNNING) {
            ex.abort();
            return;
        }
        int status = head.status().code();
        if (status == 412) {
            Drain.drain(ex);
            fail(Failure.CHANGED, null);
            return;
        }
        String etag = EntityTags.quoted(head.headers().get(HttpHeaderNames.ETAG));
        boolean sameVersion = etag == null || etag.equals(entry.etag());
        long first = entry.sliceStart(index);
        boolean exact;
        if (status == 206) {
            ContentRange cr = ContentRange.parse(head.headers().get(HttpHeaderNames.CONTENT_RANGE));
            exact = cr != null && cr.range() != null && cr.range().first() == first
                    && cr.range().length() == length && cr.total() == entry.size();
            if (cr != null && cr.total() != entry.size()) {
                sameVersion = false;
            }
        } else {
            // A server that ignored the range: usable only when this slice is the whole object.
            exact = status == 200 && first == 0 && length == entry.size()
                    && HttpUtil.getContentLength(head, -1L) == entry.size();
        }
        if (!sameVersion) {
            ex.abort();
            fail(Failure.CHANGED, null);
        } else if (!exact) {
            ex.abort();
            fail(Failure.UPSTREAM, null);
        } else {
            ex.listener(this);
            ex.read();
        }
    }

    @Override
    public void onError(BridgeError error, String detail) {
        fail(Failure.UPSTREAM, null);
    }

    @Override
    public void onHead(UpstreamExchange exchange, HttpResponse head) {
    }

    @Override
    public void onContent(UpstreamExchange ex, HttpContent content) {
        if (state != State.RUNNING) {
            content.release();
            return;
        }
        boolean last = content instanceof LastHttpContent;
        try {
            write(content.content());
        } catch (IOException | RuntimeException e) {
            ex.abort();
            fail(Failure.DISK, e);
            return;
        } finally {
            content.release();
        }
        if (written == length) {
            if (!ex.isDone()) {
                ex.abort();
            }
            complete();
        } else if (last) {
            fail(Failure.UPSTREAM, null); // ended short: never let that look complete
        } else {
            ex.read();
        }
    }

    private void write(ByteBuf buf) throws IOException {
        int n = buf.readableBytes();
        if (written + n > length) {
            throw new IOException("S3 sent more than the slice");
        }
        for (ByteBuffer bb : buf.nioBuffers()) {
            while (bb.hasRemaining()) {
                int inBlock = (int) Math.min(SliceFile.BLOCK - written % SliceFile.BLOCK, bb.remaining());
                ByteBuffer part = bb.slice();
                part.limit(inBlock);
                crc.update(part.duplicate());
                long at = headerLength + written;
                while (part.hasRemaining()) {
                    at += channel.write(part, at);
                }
                bb.position(bb.position() + inBlock);
                written += inBlock;
                if (written % SliceFile.BLOCK == 0 || written == length) {
                    crcs[(int) ((written - 1) / SliceFile.BLOCK)] = (int) crc.getValue();
                    crc.reset();
                    published = written; // after the checksum: readers see both
                    wake();
                }
            }
        }
        cache.stats().fromS3(n);
    }

    private void complete() {
        try {
            ByteBuffer h = SliceFile.header(entry.identity(), index, length, crcs);
            while (h.hasRemaining()) {
                channel.write(h, h.position());
            }
            cache.replacing(entry.sliceKey(index)); // an old file kept open could not be replaced on Windows
            Files.move(tmp, dest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            // Every byte is on disk and checked: readers still finish from the open file.
            state = State.COMPLETE;
            cache.fillEnded(this, false);
            cache.diskError(e);
            deleteTmp();
            wake();
            release();
            return;
        }
        state = State.COMPLETE;
        cache.fillEnded(this, true);
        wake();
        release();
    }

    private void fail(Failure why, Throwable cause) {
        if (state != State.RUNNING) {
            return;
        }
        failure = why;
        state = State.FAILED;
        if (call != null) {
            call.cancel();
        }
        if (why == Failure.DISK) {
            cache.diskError(cause);
        }
        deleteTmp();
        cache.fillEnded(this, false);
        wake();
        release();
    }

    private void deleteTmp() {
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException e) {
            // removed at the next start
        }
    }

    private void wake() {
        Waiter w;
        while ((w = waiters.poll()) != null) {
            w.signal();
        }
    }

    @Override
    public void onFailure(UpstreamExchange exchange, UpstreamException cause) {
        fail(Failure.UPSTREAM, null);
    }

    /** Takes a reader's reference; false if the fill is over and its file closed (open the stored slice instead). */
    boolean acquire() {
        return RefCounts.retainIfLive(refs);
    }

    @Override
    public void release() {
        if (refs.decrementAndGet() == 0 && channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // read-only use remains
            }
        }
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public long available() {
        return published;
    }

    @Override
    public int blockCrc(int block) {
        return crcs[block];
    }

    @Override
    public FileChannel channel() {
        return channel;
    }

    @Override
    public long dataOffset() {
        return headerLength;
    }

    @Override
    public Failure failure() {
        return state == State.FAILED ? failure : null;
    }

    @Override
    public void await(Waiter w, long needed) {
        waiters.add(w);
        if (published >= needed || state != State.RUNNING) {
            w.signal();
        }
    }
}
