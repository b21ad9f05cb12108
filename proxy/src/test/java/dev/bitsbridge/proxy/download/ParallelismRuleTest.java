package dev.bitsbridge.proxy.download;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.download.ParallelismRule.Phase;
import org.junit.jupiter.api.Test;

/**
 * When a parallel download fetches parts ahead, and when it goes back to one connection: 8 MiB
 * parts and 16 connections (the defaults), so the probe runs over parts 8 to 16.
 */
class ParallelismRuleTest {

    private static final long MIB = 1L << 20;
    private static final long MS = 1_000_000L;

    private static ParallelismRule rule() {
        return ParallelismRule.forCap(MIB, 16, true, ParallelismRule.MARGIN, 0);
    }

    @Test
    void nothingAheadBeforeTheClientTookTheRamp() {
        ParallelismRule r = rule();
        assertFalse(r.ahead(MIB - 1, 0, 0, 500 * MS));
        assertFalse(r.ahead(0, 0, 0, 5_000 * MS), "a client that never reads never gets parts ahead");
        assertEquals(Phase.RAMP, r.phase());
    }

    @Test
    void slowConnectionStartsPartsAtTheCapAtOnceAndKeepsThemWhileTheyAddThroughput() {
        // 40 ms link: the first MiB took 80 ms (13 MB/s over one connection).
        ParallelismRule r = rule();
        assertTrue(r.ahead(MIB, 0, 0, 80 * MS));
        assertEquals(Phase.PROBE, r.phase());
        // The first part handed over after 650 ms (12.9 MB/s), the parts after it fetched meanwhile.
        assertTrue(r.ahead(8 * MIB, 1, 0, 650 * MS));
        assertEquals(8 * MIB * 1e9 / (650 * MS), r.oneConnectionRate(), 1);
        assertTrue(r.ahead(64 * MIB, 8, 0, 1_000 * MS));
        // Parts 8 to 16 (64 MiB) in 0.45 s: 149 MB/s, eleven times one connection.
        assertTrue(r.ahead(128 * MIB, 16, 0, 1_450 * MS));
        assertEquals(Phase.WIDE, r.phase());
        assertTrue(r.ahead(200 * MIB, 25, 0, 3_000 * MS), "decided once");
    }

    @Test
    void fastConnectionStreamsTheFirstPartAloneThenProbes() {
        // Loopback: the first MiB in 1 ms.
        ParallelismRule r = rule();
        assertFalse(r.ahead(MIB, 0, 0, MS));
        assertEquals(Phase.ONE_CONNECTION, r.phase());
        assertFalse(r.ahead(6 * MIB, 0, 0, 6 * MS));
        // The first 8 MiB part handed over in 8 ms: 1 GiB/s over one connection.
        assertTrue(r.ahead(8 * MIB, 1, 0, 8 * MS));
        assertEquals(Phase.PROBE, r.phase());
        assertEquals(8 * MIB * 1e9 / (8 * MS), r.oneConnectionRate(), 1);
    }

    @Test
    void partsThatAddLessThanTheMarginGoBackToOneConnection() {
        ParallelismRule r = rule();
        r.ahead(MIB, 0, 0, MS);
        r.ahead(8 * MIB, 1, 0, 8 * MS); // 1 GiB/s alone; a fast connection is probed with 4 parts
        assertEquals(4, r.receivingCap(16));
        assertTrue(r.ahead(24 * MIB, 3, 0, 30 * MS), "still probing");
        // Parts 1 to 5 (32 MiB) 40 ms after they were asked: 0.8 GiB/s, slower than one connection.
        assertFalse(r.ahead(40 * MIB, 5, 0, 48 * MS));
        assertEquals(Phase.NARROW, r.phase());
        assertFalse(r.ahead(500 * MIB, 60, 0, 1_000 * MS), "decided once");
    }

    @Test
    void fastConnectionThatPartsMultiplyGoesToTheCap() {
        // A nearby endpoint at 116 MB/s per connection (the first MiB in 9 ms).
        ParallelismRule r = rule();
        assertFalse(r.ahead(MIB, 0, 0, 9 * MS));
        assertTrue(r.ahead(8 * MIB, 1, 0, 72 * MS));
        assertEquals(4, r.receivingCap(16));
        // Four parts (32 MiB) handed over 100 ms after they were asked: 335 MB/s, 2.9x.
        assertTrue(r.ahead(40 * MIB, 5, 0, 172 * MS));
        assertEquals(Phase.WIDE, r.phase());
        assertEquals(16, r.receivingCap(16));
    }

    @Test
    void aClientSlowerThanTheFirstPartGoesBackToOneConnectionWithoutAProbe() {
        ParallelismRule r = rule();
        assertFalse(r.ahead(MIB, 0, 0, MS));
        // The first part handed over after 40 ms, 12 of which its bytes waited for the client.
        assertFalse(r.ahead(8 * MIB, 1, 12 * MS, 40 * MS));
        assertEquals(Phase.NARROW, r.phase());
        ParallelismRule keeping = rule();
        keeping.ahead(MIB, 0, 0, MS);
        assertTrue(keeping.ahead(8 * MIB, 1, 8 * MS, 40 * MS), "a fifth of the time is not enough");
        assertEquals(Phase.PROBE, keeping.phase());
        // On a slow connection parts started at the ramp; the same test when part 0 is handed over.
        ParallelismRule slow = rule();
        assertTrue(slow.ahead(MIB, 0, 0, 30 * MS));
        assertFalse(slow.ahead(8 * MIB, 1, 100 * MS, 300 * MS));
        assertEquals(Phase.NARROW, slow.phase());
    }

    @Test
    void theMarginIsOneAndAHalfTimesOneConnection() {
        assertEquals(Phase.NARROW, probed(1.45).phase());
        assertEquals(Phase.WIDE, probed(1.55).phase());
    }

    /** One connection at 100 MiB/s, then parts 8 to 16 at {@code times} that. */
    private static ParallelismRule probed(double times) {
        ParallelismRule r = rule();
        r.ahead(MIB, 0, 0, 10 * MS);
        r.ahead(8 * MIB, 1, 0, 80 * MS);
        r.ahead(64 * MIB, 8, 0, 500 * MS);
        r.ahead(128 * MIB, 16, 0, 500 * MS + (long) (640 * MS / times));
        return r;
    }

    @Test
    void withoutAdaptiveConcurrencyPartsRunAtTheCapAfterTheRamp() {
        ParallelismRule r = ParallelismRule.forCap(MIB, 16, false, ParallelismRule.MARGIN, 0);
        assertFalse(r.ahead(MIB / 2, 0, 0, MS));
        assertTrue(r.ahead(MIB, 0, 0, MS));
        assertEquals(Phase.WIDE, r.phase());
        assertTrue(r.ahead(100 * MIB, 20, 0, 10 * MS));
    }

    @Test
    void probeWindowsForSmallCaps() {
        ParallelismRule two = ParallelismRule.forCap(MIB, 2, true, ParallelismRule.MARGIN, 0);
        two.ahead(MIB, 0, 0, 100 * MS);
        two.ahead(8 * MIB, 1, 0, 800 * MS); // 10 MiB/s alone; the probe is part 1 to part 2
        assertTrue(two.ahead(16 * MIB, 2, 0, 1_000 * MS)); // 8 MiB in 0.2 s: 40 MiB/s
        assertEquals(Phase.WIDE, two.phase());
        assertThrows(IllegalArgumentException.class, () -> new ParallelismRule(MIB, 0, 1, true, 1.5, 0));
    }
}
