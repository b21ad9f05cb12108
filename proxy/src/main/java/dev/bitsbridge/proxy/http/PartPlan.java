package dev.bitsbridge.proxy.http;

/**
 * How one large span of an object is cut into ranged GETs of {@code partSize} bytes (the last one
 * shorter), fetched in parallel and sent to the client in order. Immutable.
 *
 * <p>A span is split only when it is more than twice the part size: below that, one request is
 * as fast as two on any link and costs S3 one request instead of several, so small requests keep
 * the single-request path exactly.
 */
public record PartPlan(long first, long length, long partSize) {

    public PartPlan {
        if (first < 0 || length <= 0 || partSize <= 0) {
            throw new IllegalArgumentException("not a part plan: " + first + "+" + length + " / " + partSize);
        }
    }

    /** Whether a span of {@code length} bytes is worth splitting into parts of {@code partSize}. */
    public static boolean worthSplitting(long length, long partSize) {
        return partSize > 0 && length > 2 * partSize;
    }

    public int count() {
        return (int) ((length + partSize - 1) / partSize);
    }

    /** Part {@code i} as an absolute range of the object. */
    public ByteRange part(int i) {
        if (i < 0 || i >= count()) {
            throw new IndexOutOfBoundsException(i);
        }
        long start = first + i * partSize;
        return new ByteRange(start, Math.min(first + length, start + partSize) - 1);
    }
}
