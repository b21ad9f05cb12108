package dev.bitsbridge.proxy.share;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CoveredRangesTest {

    @Test
    void rangesInAnyOrderWithOverlapsAndRepeatsCoverTheWhole() {
        CoveredRanges c = new CoveredRanges();
        c.add(50, 100);
        assertFalse(c.coversAll(100));
        c.add(0, 10);
        c.add(5, 20);
        c.add(50, 100);
        assertEquals(70, c.coveredBytes());
        assertFalse(c.coversAll(100), "20..50 is missing");
        c.add(20, 50); // adjacent on both sides: one span
        assertTrue(c.coversAll(100));
        assertEquals(1, c.spans().size());
        assertFalse(c.coversAll(101));
    }

    @Test
    void emptyAndInvertedSpansChangeNothing() {
        CoveredRanges c = new CoveredRanges();
        c.add(10, 10);
        c.add(20, 5);
        assertEquals(0, c.coveredBytes());
        assertTrue(c.coversAll(0), "an empty object is covered by nothing");
        assertFalse(c.coversAll(1));
    }

    @Test
    void randomRangeSetsMatchABitmap() {
        Random rnd = new Random(7);
        for (int round = 0; round < 200; round++) {
            int size = 1 + rnd.nextInt(300);
            boolean[] bits = new boolean[size];
            CoveredRanges c = new CoveredRanges();
            List<int[]> spans = new ArrayList<>();
            for (int i = 0; i < rnd.nextInt(30); i++) {
                int a = rnd.nextInt(size);
                int b = a + rnd.nextInt(size - a + 1);
                spans.add(new int[] {a, b});
            }
            Collections.shuffle(spans, rnd);
            for (int[] s : spans) {
                c.add(s[0], s[1]);
                for (int i = s[0]; i < s[1]; i++) {
                    bits[i] = true;
                }
            }
            long n = 0;
            boolean all = true;
            for (boolean b : bits) {
                n += b ? 1 : 0;
                all &= b;
            }
            assertEquals(n, c.coveredBytes());
            assertEquals(all, c.coversAll(size));
            long prevEnd = -1;
            for (long[] s : c.spans()) {
                assertTrue(s[0] > prevEnd, "disjoint, non-adjacent and sorted");
                prevEnd = s[1];
            }
        }
    }
}
