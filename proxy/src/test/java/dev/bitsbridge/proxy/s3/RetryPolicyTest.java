package dev.bitsbridge.proxy.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Backoff delays stay within their jitter window and under the cap. */
class RetryPolicyTest {

    private static void assertWithin(RetryPolicy p, int retry, long lo, long hi) {
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (int i = 0; i < 2000; i++) {
            long d = p.delayMillis(retry);
            assertTrue(d >= lo && d <= hi, "retry " + retry + ": " + d + " not in [" + lo + "," + hi + "]");
            min = Math.min(min, d);
            max = Math.max(max, d);
        }
        // Jittered: 2000 draws never all land on one value when the window is wide.
        assertTrue(hi - lo < 10 || max > min, "retry " + retry + " is not jittered");
    }

    @Test
    void standardPolicyDoublesUpToTheCap() {
        RetryPolicy p = RetryPolicy.standard(3);
        assertEquals(3, p.maxRetries());
        assertWithin(p, 1, 50, 100);
        assertWithin(p, 2, 100, 200);
        assertWithin(p, 3, 200, 400);
        assertWithin(p, 5, 800, 1600);
        assertWithin(p, 6, 1000, 2000);
        assertWithin(p, 30, 1000, 2000);
        assertWithin(p, Integer.MAX_VALUE, 1000, 2000);
    }

    @Test
    void zeroBaseNeverWaits() {
        RetryPolicy p = new RetryPolicy(5, Duration.ZERO, Duration.ofSeconds(1));
        assertWithin(p, 1, 0, 0);
        assertWithin(p, 4, 0, 0);
    }
}
