package dev.bitsbridge.proxy.cache;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one rule for taking a share of something reference-counted in the cache (a fill's file, a
 * kept slice file): a count that reached zero stays there, because its file is closed or about to
 * be. Thread-safe.
 */
final class RefCounts {

    private RefCounts() {
    }

    /** Adds one to a live count; false, leaving it alone, once it has reached zero. */
    static boolean retainIfLive(AtomicInteger refs) {
        while (true) {
            int r = refs.get();
            if (r == 0) {
                return false;
            }
            if (refs.compareAndSet(r, r + 1)) {
                return true;
            }
        }
    }
}
