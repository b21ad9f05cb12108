package dev.bitsbridge.proxy.http;

/** Strict decimal parsing for header values: digits only, no sign, no whitespace. */
final class Numbers {

    /** Returned by {@link #parseNonNegative} for input that is not a run of ASCII digits. */
    static final long INVALID = -1;

    /** Returned by {@link #parseSaturating} when the digits do not fit in a long. */
    static final long SATURATED = Long.MAX_VALUE;

    private Numbers() {
    }

    /** Digits to a long; {@link #INVALID} for empty, non-digit or overflowing input. */
    static long parseNonNegative(String s) {
        long v = parseSaturating(s);
        return v == SATURATED ? INVALID : v;
    }

    /**
     * Digits to a long, saturating at {@link Long#MAX_VALUE} instead of overflowing (a range end
     * of 10^30 means "to the end"; it is not an error). {@link #INVALID} for non-digit input.
     */
    static long parseSaturating(String s) {
        int n = s.length();
        if (n == 0) {
            return INVALID;
        }
        long v = 0;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return INVALID;
            }
            int d = c - '0';
            if (v > (Long.MAX_VALUE - d) / 10) {
                // Keep validating the remaining characters: "1e99999" is still invalid.
                for (int j = i + 1; j < n; j++) {
                    char cj = s.charAt(j);
                    if (cj < '0' || cj > '9') {
                        return INVALID;
                    }
                }
                return SATURATED;
            }
            v = v * 10 + d;
        }
        return v;
    }
}
