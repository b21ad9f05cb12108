package dev.bitsbridge.proxy.cache;

import dev.bitsbridge.proxy.endpoint.CacheShare;
import dev.bitsbridge.proxy.endpoint.ClientResponse;
import dev.bitsbridge.proxy.endpoint.Transfer;

/**
 * The body of one response served through the cache: bytes {@code [first, first + length)} of
 * one version, slice after slice, each from its file ({@link SliceSender}), from a fill in flight
 * (the same, at the fill's pace), or uncached from S3 ({@link DirectRange}) when it cannot be
 * cached. The next {@code prefetchSlices} slices of the response are filled ahead.
 *
 * <p>The head is sent by the caller's hook just before the first body byte, so that anything that
 * goes wrong before it (the object replaced, S3 failing the first slice) is handed back
 * ({@link Hooks#fallback}) and answered by the uncached path exactly as without a cache. After
 * the head: a replaced object (a fill or a direct read refused by the If-Match pin) or a failed
 * direct read closes the connection short (the error rule), never a body that mixes versions.
 *
 * <p>Threading: confined to the client's event loop.
 */
public final class SliceStream implements Transfer, SliceSender.Host, DirectRange.Host {

    /** What the download path provides; called on the client's event loop. */
    public interface Hooks {
        /** Sends the response head (status and headers decided by the caller). */
        void head();

        /** Every byte was written. */
        void complete();

        /** Nothing was sent: answer the request the uncached way. */
        void fallback();
    }

    private static final int MAX_SLICE_ATTEMPTS = 3;

    private final ClientResponse out;
    private final SliceCache cache;
    private final ObjectEntry entry;
    private final Origin origin;
    private final long end;
    private final Hooks hooks;
    private final CacheShare share;
    /** Slices this response's read-ahead started fetching: S3's bytes, not hits, when read. */
    private final java.util.Set<Long> fetchedAhead = new java.util.HashSet<>();
    private boolean fetchedHere;
    private long pos;
    private long slice = -1;
    private int attempts;
    private boolean headSent;
    private boolean done;
    private SliceData data;
    private SliceSender sender;
    private DirectRange direct;

    public SliceStream(ClientResponse out, SliceCache cache, ObjectEntry entry, Origin origin, long first, long length,
            Hooks hooks) {
        this.out = out;
        this.cache = cache;
        this.entry = entry;
        this.origin = origin;
        this.pos = first;
        this.end = first + length;
        this.hooks = hooks;
        this.share = out.cacheShare();
    }

    public void start() {
        next();
    }

    private void next() {
        if (done) {
            return;
        }
        if (pos >= end) {
            done = true;
            hooks.complete();
            return;
        }
        long index = pos / entry.sliceSize();
        if (index != slice) {
            slice = index;
            attempts = 0;
            for (int p = 1; p <= cache.config().prefetchSlices(); p++) {
                if (entry.sliceStart(index + p) < end && cache.prefetch(entry, index + p, origin)) {
                    fetchedAhead.add(index + p);
                }
            }
            fetchedHere = fetchedAhead.remove(index);
        }
        attempts++;
        long sliceStart = entry.sliceStart(index);
        long sliceEnd = Math.min(end, sliceStart + entry.sliceLength(index));
        data = attempts > MAX_SLICE_ATTEMPTS ? null
                : cache.open(entry, index, origin, (int) (pos - sliceStart), (int) (sliceEnd - sliceStart));
        if (data == null) {
            direct(sliceEnd);
            return;
        }
        sender = new SliceSender(out, data, (int) (pos - sliceStart), (int) (sliceEnd - sliceStart), sliceEnd == end,
                this, cache.stats());
        sender.pump();
    }

    private void direct(long until) {
        direct = new DirectRange(out, entry, pos, until - 1, this, cache.stats());
        direct.start(origin);
    }

    @Override
    public boolean beforeBytes() {
        if (done || out.isDone()) {
            return false;
        }
        if (!headSent) {
            headSent = true;
            hooks.head();
        }
        return !out.isDone();
    }

    @Override
    public void sent(int n) {
        pos += n;
        // For the status page: a slice complete on disk is a hit, unless this response's own read-ahead
        // fetched it; a fill or an uncached read is S3's.
        if (direct == null && data instanceof StoredSlice && !fetchedHere) {
            share.fromCache(n);
        } else {
            share.fromS3(n);
        }
    }

    @Override
    public void sliceDone() {
        releaseData();
        next();
    }

    @Override
    public void corrupt() {
        releaseData();
        cache.corrupt(entry, slice);
        next(); // the same slice again: fetched anew (after MAX_SLICE_ATTEMPTS, uncached)
    }

    @Override
    public void failed(SliceData.Failure why) {
        boolean wasDirect = direct != null;
        releaseData();
        direct = null;
        if (done) {
            return;
        }
        if (why == SliceData.Failure.CHANGED) {
            cache.changed(entry);
            giveUp();
        } else if (!wasDirect) {
            // The fill failed (S3 or the disk): this reader gets the rest of the slice uncached.
            direct(Math.min(end, entry.sliceStart(slice) + entry.sliceLength(slice)));
        } else {
            giveUp();
        }
    }

    @Override
    public void rangeDone() {
        direct = null;
        next();
    }

    /** Before the head: the uncached path answers. After it: the connection is closed short. */
    private void giveUp() {
        done = true;
        if (headSent) {
            out.abort();
        } else {
            hooks.fallback();
        }
    }

    private void releaseData() {
        if (data != null) {
            data.release();
            data = null;
        }
        sender = null;
    }

    @Override
    public void cancel() {
        done = true;
        if (sender != null) {
            sender.stop();
        }
        releaseData();
        if (direct != null) {
            direct.cancel();
            direct = null;
        }
    }
}
