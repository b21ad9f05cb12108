package dev.bitsbridge.proxy.share;

import java.util.ArrayList;
import java.util.List;

/**
 * The union of byte ranges delivered so far, as sorted, disjoint, non-adjacent half-open
 * intervals {@code [start, end)}. A BITS job fetches a file as many ranges, in any order, some
 * twice after a reconnect: the file has been delivered once the union covers {@code [0, size)}.
 * Plain and not thread-safe (the ledger locks around it).
 */
final class CoveredRanges {

    private final List<long[]> spans = new ArrayList<>();

    /** Adds {@code [start, end)}; empty or inverted spans are ignored. */
    void add(long start, long end) {
        if (end <= start) {
            return;
        }
        int i = 0;
        while (i < spans.size() && spans.get(i)[1] < start) {
            i++;
        }
        long s = start;
        long e = end;
        while (i < spans.size() && spans.get(i)[0] <= e) {
            long[] x = spans.remove(i);
            s = Math.min(s, x[0]);
            e = Math.max(e, x[1]);
        }
        spans.add(i, new long[] {s, e});
    }

    /** Whether every byte of {@code [0, size)} is covered. */
    boolean coversAll(long size) {
        return size <= 0 || (!spans.isEmpty() && spans.get(0)[0] <= 0 && spans.get(0)[1] >= size);
    }

    long coveredBytes() {
        long n = 0;
        for (long[] x : spans) {
            n += x[1] - x[0];
        }
        return n;
    }

    List<long[]> spans() {
        List<long[]> out = new ArrayList<>(spans.size());
        for (long[] x : spans) {
            out.add(x.clone());
        }
        return out;
    }

    void clear() {
        spans.clear();
    }
}
