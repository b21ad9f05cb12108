package dev.bitsbridge.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class PartPlanTest {

    @Test
    void onlySpansOverTwiceThePartSizeAreSplit() {
        assertFalse(PartPlan.worthSplitting(16, 8));
        assertTrue(PartPlan.worthSplitting(17, 8));
        assertFalse(PartPlan.worthSplitting(1000, 0));
    }

    @Test
    void partsTileTheSpanExactlyInOrder() {
        Random rnd = new Random(3);
        for (int i = 0; i < 2000; i++) {
            long first = rnd.nextInt(1 << 20);
            long length = 1 + rnd.nextInt(1 << 22);
            long partSize = 1 + rnd.nextInt(1 << 18);
            PartPlan plan = new PartPlan(first, length, partSize);
            long next = first;
            for (int p = 0; p < plan.count(); p++) {
                ByteRange r = plan.part(p);
                assertEquals(next, r.first());
                assertTrue(r.length() <= partSize);
                assertTrue(p == plan.count() - 1 || r.length() == partSize);
                next = r.last() + 1;
            }
            assertEquals(first + length, next);
        }
    }

    @Test
    void aPartOutsideThePlanIsRefused() {
        PartPlan plan = new PartPlan(10, 100, 30);
        assertEquals(4, plan.count());
        assertEquals(new ByteRange(100, 109), plan.part(3));
        assertThrows(IndexOutOfBoundsException.class, () -> plan.part(4));
        assertThrows(IllegalArgumentException.class, () -> new PartPlan(0, 0, 8));
    }
}
