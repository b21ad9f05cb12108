package dev.bitsbridge.proxy.http;

/**
 * One element of a {@code Range: bytes=} header as the client wrote it, before the object size is
 * known: {@code first-last}, {@code first-} (to the end) or {@code -suffixLength} (the last bytes).
 * Numbers too large for a long are saturated to {@link Long#MAX_VALUE}, which keeps their meaning
 * ("past any end") without overflow.
 *
 * @param first first offset, or -1 for a suffix range
 * @param last last offset (inclusive), or -1 for an open-ended range and for a suffix range
 * @param suffixLength number of trailing bytes for a suffix range, otherwise -1
 */
public record RangeSpec(long first, long last, long suffixLength) {

    public static RangeSpec closed(long first, long last) {
        return new RangeSpec(first, last, -1);
    }

    public static RangeSpec openEnded(long first) {
        return new RangeSpec(first, -1, -1);
    }

    public static RangeSpec suffix(long length) {
        return new RangeSpec(-1, -1, length);
    }

    public boolean isSuffix() {
        return suffixLength >= 0;
    }

    /**
     * The absolute range this spec selects in an object of {@code size} bytes (end clipped to the
     * last byte, RFC 9110 §14.1.2), or {@code null} when it selects nothing: a start at or past the
     * end, a zero-length suffix, or any range of an empty object.
     */
    public ByteRange resolve(long size) {
        if (size <= 0) {
            return null;
        }
        if (isSuffix()) {
            if (suffixLength == 0) {
                return null;
            }
            return new ByteRange(Math.max(0, size - suffixLength), size - 1);
        }
        if (first >= size) {
            return null;
        }
        long end = last < 0 ? size - 1 : Math.min(last, size - 1);
        return new ByteRange(first, end);
    }

    /** This spec as a single-range {@code Range} header value, for S3. */
    public String toHeaderValue() {
        if (isSuffix()) {
            return "bytes=-" + suffixLength;
        }
        // A saturated end means "to the end"; some S3 implementations refuse 2^63-1 as an end.
        return last < 0 || last == Long.MAX_VALUE ? "bytes=" + first + "-" : "bytes=" + first + "-" + last;
    }

    @Override
    public String toString() {
        return toHeaderValue();
    }
}
