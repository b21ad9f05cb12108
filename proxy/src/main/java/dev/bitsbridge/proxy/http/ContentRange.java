package dev.bitsbridge.proxy.http;

/**
 * A parsed {@code Content-Range} response header: either a satisfied range of a known total
 * ({@code bytes 0-99/1000}) or the unsatisfied form ({@code bytes * /1000}, range {@code null}).
 * An unknown total ({@code /*}) is not accepted: the proxy always needs the size.
 */
public record ContentRange(ByteRange range, long total) {

    public static ContentRange parse(String value) {
        if (value == null) {
            return null;
        }
        String v = value.trim();
        if (v.length() < 7 || !v.regionMatches(true, 0, "bytes ", 0, 6)) {
            return null;
        }
        v = v.substring(6).trim();
        int slash = v.indexOf('/');
        if (slash < 0) {
            return null;
        }
        long total = Numbers.parseNonNegative(v.substring(slash + 1));
        if (total < 0) {
            return null;
        }
        String spec = v.substring(0, slash);
        if (spec.equals("*")) {
            return new ContentRange(null, total);
        }
        int dash = spec.indexOf('-');
        if (dash <= 0) {
            return null;
        }
        long first = Numbers.parseNonNegative(spec.substring(0, dash));
        long last = Numbers.parseNonNegative(spec.substring(dash + 1));
        if (first < 0 || last < first || last >= total) {
            return null;
        }
        return new ContentRange(new ByteRange(first, last), total);
    }
}
