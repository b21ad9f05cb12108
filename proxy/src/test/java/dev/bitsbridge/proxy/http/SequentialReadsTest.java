package dev.bitsbridge.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SequentialReadsTest {

    private static final long MIB = 1 << 20;
    private static final String A = "bucket/a.bin";
    private static final String TAG = "\"v1\"";

    @Test
    void aBitsJobIsSequentialFromItsFirstRangeAfterTheHead() {
        SequentialReads r = new SequentialReads();
        assertFalse(r.continues(A, TAG, 0, 8 * MIB), "no HEAD yet: a first range is not a reading");
        r.head(A, TAG);
        assertTrue(r.continues(A, TAG, 0, 8 * MIB));
        r.served(A, TAG, 0, 8 * MIB);
        for (long off = 8 * MIB; off < 64 * MIB; off += 8 * MIB) {
            assertTrue(r.continues(A, TAG, off, 8 * MIB), "range at " + off);
            r.served(A, TAG, off, 8 * MIB);
        }
        assertEquals(64 * MIB, r.next());
    }

    @Test
    void consecutiveRangesWithoutAHeadBecomeSequentialAtTheSecond() {
        SequentialReads r = new SequentialReads();
        assertFalse(r.continues(A, TAG, 4 * MIB, 2 * MIB));
        r.served(A, TAG, 4 * MIB, 2 * MIB);
        assertTrue(r.continues(A, TAG, 6 * MIB, 2 * MIB));
        assertTrue(r.continues(A, TAG, 6 * MIB, -1), "an open range from the next byte continues");
    }

    @Test
    void aGapAnOverlapAnotherObjectOrVersionBreaksTheReading() {
        SequentialReads r = new SequentialReads();
        r.served(A, TAG, 0, 2 * MIB);
        assertFalse(r.continues(A, TAG, 2 * MIB + 1, 2 * MIB), "gap");
        assertFalse(r.continues(A, TAG, 2 * MIB - 1, 2 * MIB), "overlap");
        assertFalse(r.continues("bucket/b.bin", TAG, 2 * MIB, 2 * MIB), "another object");
        assertFalse(r.continues(A, "\"v2\"", 2 * MIB, 2 * MIB), "another version");
        assertFalse(r.continues(A, null, 2 * MIB, 2 * MIB), "no ETag: nothing to pin parts to");
        r.reset();
        assertFalse(r.continues(A, TAG, 2 * MIB, 2 * MIB), "reset");
    }

    @Test
    void smallRangesNeverContinueEvenWhenConsecutive() {
        SequentialReads r = new SequentialReads();
        r.head(A, TAG);
        assertFalse(r.continues(A, TAG, 0, 64 * 1024));
        r.served(A, TAG, 0, 64 * 1024);
        assertFalse(r.continues(A, TAG, 64 * 1024, SequentialReads.MIN_SPAN - 1));
        assertTrue(r.continues(A, TAG, 64 * 1024, SequentialReads.MIN_SPAN));
    }

    @Test
    void aHeadInTheMiddleOfAReadingKeepsItsPlace() {
        SequentialReads r = new SequentialReads();
        r.head(A, TAG);
        r.served(A, TAG, 0, 8 * MIB);
        r.head(A, TAG);
        assertTrue(r.continues(A, TAG, 8 * MIB, 8 * MIB));
        assertFalse(r.continues(A, TAG, 0, 8 * MIB));
        r.head(A, "\"v2\"");
        assertTrue(r.continues(A, "\"v2\"", 0, 8 * MIB), "a new version starts over from 0");
    }

    @Test
    void randomRangesAlmostNeverContinue() {
        // The wrk load of docs/performance.md: 64 KiB at random offsets, and random larger ones.
        SequentialReads r = new SequentialReads();
        Random rnd = new Random(11);
        long size = 1L << 30;
        int continued = 0;
        for (int i = 0; i < 100_000; i++) {
            long len = i % 2 == 0 ? 64 * 1024 : MIB + rnd.nextInt(8 << 20);
            long first = (long) (rnd.nextDouble() * (size - len));
            if (r.continues(A, TAG, first, len)) {
                continued++;
            }
            r.served(A, TAG, first, len);
        }
        assertEquals(0, continued);
    }
}
