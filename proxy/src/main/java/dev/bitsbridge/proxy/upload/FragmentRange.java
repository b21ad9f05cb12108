package dev.bitsbridge.proxy.upload;

/**
 * A fragment's {@code Content-Range: bytes first-last/total}. BITS always sends the total.
 * Immutable; {@link #parse} returns null for anything malformed.
 */
public record FragmentRange(long first, long last, long total) {

    public static FragmentRange parse(String value) {
        if (value == null) {
            return null;
        }
        String v = value.trim();
        if (!v.regionMatches(true, 0, "bytes ", 0, 6)) {
            return null;
        }
        v = v.substring(6).trim();
        int dash = v.indexOf('-');
        int slash = v.indexOf('/');
        if (dash <= 0 || slash < dash) {
            return null;
        }
        try {
            long first = Long.parseLong(v.substring(0, dash).trim());
            long last = Long.parseLong(v.substring(dash + 1, slash).trim());
            long total = Long.parseLong(v.substring(slash + 1).trim());
            if (first < 0 || last < first || total <= last) {
                return null;
            }
            return new FragmentRange(first, last, total);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    public long length() {
        return last - first + 1;
    }

    /** Whether this fragment carries the object's last byte. */
    public boolean isLast() {
        return last == total - 1;
    }
}
