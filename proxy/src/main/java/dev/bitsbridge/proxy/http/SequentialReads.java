package dev.bitsbridge.proxy.http;

import java.util.Objects;

/**
 * Whether the requests on one client connection read one object sequentially, the pattern of a
 * BITS download job: a HEAD, then {@code Range: bytes=0-…}, then each next range starting where
 * the previous one ended, every request waiting for the previous answer. Only such a reader is
 * worth fetching ahead for; anything else (random ranges, another object, another version, a gap,
 * a small range) is not, because bytes fetched ahead that nobody asks for cost S3 requests and
 * egress for nothing.
 *
 * <p>A range <em>continues</em> the reading when it is at least {@link #MIN_SPAN} long, is of the
 * same object (same identity, same ETag) and either starts at the byte after the previous range of
 * that object on this connection, or is the first range (from byte 0) after a HEAD of it.
 * A random 64 KiB range never continues: it is below the span and does not start where the last
 * one ended.
 *
 * <p>Not thread-safe: one instance per client connection, used on its event loop.
 */
public final class SequentialReads {

    /** Ranges shorter than this never start read-ahead: a reader of small pieces is not a BITS job. */
    public static final long MIN_SPAN = 1L << 20;

    private Object object;
    private String etag;
    /** Offset the next range must start at to continue; -1 when nothing is being followed. */
    private long next = -1;

    /** A HEAD of {@code object} was answered: its first range from byte 0 continues the reading. */
    public void head(Object object, String etag) {
        if (object == null || etag == null) {
            reset();
            return;
        }
        if (!object.equals(this.object) || !etag.equals(this.etag) || next < 0) {
            this.object = object;
            this.etag = etag;
            this.next = 0;
        }
        // A HEAD in the middle of a reading (BITS checks the object again) keeps its place.
    }

    /**
     * Whether a range of {@code object} from {@code first}, {@code length} bytes long (-1 when not
     * known yet, an open range), continues the reading. Asked before the range is served.
     */
    public boolean continues(Object object, long first, long length) {
        return object != null && next >= 0 && first == next && Objects.equals(object, this.object)
                && (length < 0 || length >= MIN_SPAN);
    }

    /** The same, with the ETag the object has now: another version never continues. */
    public boolean continues(Object object, String etag, long first, long length) {
        return continues(object, first, length) && etag != null && etag.equals(this.etag);
    }

    /** A range (or the whole object, from 0) of {@code object} was served: the next one continues it from its end. */
    public void served(Object object, String etag, long first, long length) {
        if (object == null || etag == null || length <= 0) {
            reset();
            return;
        }
        this.object = object;
        this.etag = etag;
        this.next = first + length;
    }

    /** Forgets the reading (an error, a request for something else). */
    public void reset() {
        object = null;
        etag = null;
        next = -1;
    }

    /** The offset a continuing range starts at, or -1. */
    public long next() {
        return next;
    }
}
