package dev.bitsbridge.proxy.download;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.download.ParallelismRule.Phase;
import org.junit.jupiter.api.Test;

/** When a parallel download fetches parts ahead, and when it goes back to one connection. */
class ParallelismRuleTest {

    private static final long MIB = 1L << 20;
    private static final long MS = 1_000_000L;

    @Test
    void nothingAheadBeforeTheClientTookTheRamp() {
        ParallelismRule r = new ParallelismRule(MIB, 64 * MIB, true, 0);
        assertFalse(r.ahead(MIB - 1, false, 500 * MS));
        assertFalse(r.ahead(0, true, 5_000 * MS), "a client that never reads never gets parts ahead");
        assertEquals(Phase.RAMP, r.phase());
    }

    @Test
    void slowConnectionStartsPartsAtTheCapAtOnceAndKeepsThemWhileTheyAddThroughput() {
        // 40 ms link: the first MiB took 80 ms (13 MB/s over one connection).
        ParallelismRule r = new ParallelismRule(MIB, 64 * MIB, true, 0);
        assertTrue(r.ahead(MIB, false, 80 * MS));
        assertEquals(Phase.PROBE, r.phase());
        // 64 MiB more in 0.5 s: 134 MB/s, ten times one connection.
        assertTrue(r.ahead(65 * MIB, true, 580 * MS));
        assertEquals(Phase.WIDE, r.phase());
        assertTrue(r.ahead(300 * MIB, true, 3_000 * MS), "decided once");
    }

    @Test
    void fastConnectionStreamsTheFirstPartAloneThenProbes() {
        // Loopback: the first MiB in 1 ms.
        ParallelismRule r = new ParallelismRule(MIB, 64 * MIB, true, 0);
        assertFalse(r.ahead(MIB, false, MS));
        assertEquals(Phase.ONE_CONNECTION, r.phase());
        assertFalse(r.ahead(6 * MIB, false, 6 * MS));
        // The first 8 MiB part handed over in 8 ms: 1 GiB/s over one connection.
        assertTrue(r.ahead(8 * MIB, true, 8 * MS));
        assertEquals(Phase.PROBE, r.phase());
        assertEquals(8 * MIB * 1e9 / (8 * MS), r.oneConnectionRate(), 1);
    }

    @Test
    void partsThatAddLessThanTheMarginGoBackToOneConnection() {
        ParallelismRule r = new ParallelismRule(MIB, 64 * MIB, true, 0);
        r.ahead(MIB, false, MS);
        r.ahead(8 * MIB, true, 8 * MS); // 1 GiB/s alone
        assertTrue(r.ahead(40 * MIB, true, 40 * MS), "still probing");
        // 64 MiB in 80 ms with 16 parts: 0.8 GiB/s, slower than one connection.
        assertFalse(r.ahead(72 * MIB, true, 88 * MS));
        assertEquals(Phase.NARROW, r.phase());
        assertFalse(r.ahead(500 * MIB, true, 1_000 * MS), "decided once");
    }

    @Test
    void theMarginIsOneAndAHalfTimesOneConnection() {
        ParallelismRule below = new ParallelismRule(MIB, 10 * MIB, true, 0);
        below.ahead(MIB, false, 100 * MS); // 10 MiB/s alone
        below.ahead(11 * MIB, true, 100 * MS + 700 * MS); // 10 MiB in 0.7 s: 1.43x
        assertEquals(Phase.NARROW, below.phase());
        ParallelismRule above = new ParallelismRule(MIB, 10 * MIB, true, 0);
        above.ahead(MIB, false, 100 * MS);
        above.ahead(11 * MIB, true, 100 * MS + 600 * MS); // 1.67x
        assertEquals(Phase.WIDE, above.phase());
    }

    @Test
    void withoutAdaptiveConcurrencyPartsRunAtTheCapAfterTheRamp() {
        ParallelismRule r = new ParallelismRule(MIB, 64 * MIB, false, 0);
        assertFalse(r.ahead(MIB / 2, false, MS));
        assertTrue(r.ahead(MIB, false, MS));
        assertEquals(Phase.WIDE, r.phase());
        assertTrue(r.ahead(100 * MIB, true, 10 * MS));
    }
}
