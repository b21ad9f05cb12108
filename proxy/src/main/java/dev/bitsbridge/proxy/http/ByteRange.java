package dev.bitsbridge.proxy.http;

/**
 * An absolute, satisfiable byte range of a representation: {@code first} and {@code last} are
 * inclusive offsets, {@code 0 <= first <= last < size}. Immutable.
 */
public record ByteRange(long first, long last) {

    public ByteRange {
        if (first < 0 || last < first) {
            throw new IllegalArgumentException("not a byte range: " + first + "-" + last);
        }
    }

    public long length() {
        return last - first + 1;
    }

    /** The value of a {@code Content-Range} header for this range of an object of {@code size} bytes. */
    public String contentRange(long size) {
        return "bytes " + first + "-" + last + "/" + size;
    }

    /** The value of a single-range {@code Range} request header selecting exactly this range. */
    public String rangeHeader() {
        return "bytes=" + first + "-" + last;
    }

    /**
     * Parses the satisfied form of a {@code Content-Range} value ({@code bytes a-b/total}).
     * Returns {@code null} for anything else, including the unsatisfied form {@code bytes * /total}.
     */
    public static ByteRange parseContentRange(String value) {
        ContentRange parsed = ContentRange.parse(value);
        return parsed == null ? null : parsed.range();
    }
}
