package dev.bitsbridge.proxy.download;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * When a transfer whose client stopped reading gives its parts ahead back, and when it fetches
 * ahead again: the rule shared by parallel downloads and a BITS job's read-ahead, with the time
 * moved by hand (no timer runs: each {@code check} is one tick of the transfer's timer).
 */
class ClientStallTest {

    private static final long MS = 1_000_000L;
    private static final long RAMP = 1 << 20;

    private final AtomicLong now = new AtomicLong(1_000 * MS);
    private final ReadAhead readAhead = new ReadAhead(4, 8L << 20, 32L << 20);
    private final Client client = new Client();
    private final ClientStall stall = new ClientStall(client, readAhead, RAMP);

    ClientStallTest() {
        readAhead.clock(now::get);
    }

    /** A transfer with {@code ahead} parts fetched ahead of its client. */
    static final class Client implements ClientStall.Watched {
        long took;
        boolean writable = true;
        boolean unproven;
        int ahead = 3;
        int givenBack;

        @Override
        public long took() {
            return took;
        }

        @Override
        public boolean writable() {
            return writable;
        }

        @Override
        public boolean unproven() {
            return unproven;
        }

        @Override
        public int giveBack() {
            int n = ahead;
            givenBack += n;
            ahead = 0;
            return n;
        }
    }

    /** The client reads up to now, then stops taking bytes (its channel stays unwritable). */
    private void stopsReadingAt(long took) {
        client.took = took;
        client.writable = true;
        assertEquals(0, stall.check());
        client.writable = false;
    }

    private int after(long millis) {
        now.addAndGet(millis * MS);
        return stall.check();
    }

    @Test
    void aClientThatKeepsReadingKeepsItsParts() {
        stopsReadingAt(5 * RAMP);
        for (int i = 1; i <= 100; i++) {
            client.took += 1; // a byte now and then is progress
            assertEquals(0, after(500));
        }
        client.took = 6 * RAMP;
        client.writable = true; // nothing waits for it: it is not stalled, only not asking
        assertEquals(0, after(60_000));
        assertEquals(0, client.givenBack);
    }

    @Test
    void aStalledClientNobodyWaitsForKeepsItsPartsUntilTheLongStall() {
        stopsReadingAt(5 * RAMP);
        assertEquals(0, after(ClientStall.STALL_MILLIS));
        assertEquals(0, after(ClientStall.LONG_STALL_MILLIS - ClientStall.STALL_MILLIS - 1));
        assertFalse(stall.parked());
        assertEquals(3, after(1));
        assertTrue(stall.parked());
        assertEquals(3, readAhead.partsReleased());
    }

    private final Object other = new Object();

    @Test
    void aStalledClientGivesBackAfterASecondWhenAnotherTransferIsRefusedBudget() {
        stopsReadingAt(5 * RAMP);
        assertTrue(readAhead.tryReserve(32L << 20, client));
        assertFalse(readAhead.tryReserve(1, other), "another transfer is refused");
        assertEquals(0, after(ClientStall.STALL_MILLIS - 1));
        assertEquals(3, after(1));
        assertEquals(3, readAhead.partsReleased());
    }

    @Test
    void aRefusalOlderThanTwoStallTimesDoesNotCount() {
        assertTrue(readAhead.tryReserve(32L << 20, client));
        assertFalse(readAhead.tryReserve(1, other));
        now.addAndGet(2 * ClientStall.STALL_MILLIS * MS);
        stopsReadingAt(5 * RAMP);
        assertEquals(0, after(ClientStall.STALL_MILLIS));
        assertEquals(0, client.givenBack);
    }

    @Test
    void itsOwnRefusalsDoNotCountButAnotherOneAfterThemDoes() {
        // Its window fills the budget (the defaults: 16 parts of 8 MiB, 128 MiB): its next part is refused.
        assertTrue(readAhead.tryReserve(32L << 20, client));
        assertFalse(readAhead.tryReserve(1, client));
        stopsReadingAt(5 * RAMP);
        assertFalse(readAhead.tryReserve(1, client));
        assertEquals(0, after(ClientStall.STALL_MILLIS), "nobody else wants the budget");
        assertFalse(readAhead.tryReserve(1, other), "now someone does");
        assertFalse(readAhead.tryReserve(1, client), "its own refusal after it does not hide it");
        assertEquals(3, after(1));
    }

    @Test
    void anUnprovenClientGivesBackAfterASecond() {
        client.unproven = true;
        stopsReadingAt(RAMP);
        assertEquals(0, after(ClientStall.STALL_MILLIS - 1));
        assertEquals(3, after(1));
    }

    @Test
    void parkedUntilTheClientTookTheRampAgain() {
        stopsReadingAt(5 * RAMP);
        assertTrue(stall.mayFetchAhead(5 * RAMP));
        assertEquals(3, after(ClientStall.LONG_STALL_MILLIS));
        assertFalse(stall.mayFetchAhead(5 * RAMP));
        assertFalse(stall.mayFetchAhead(6 * RAMP - 1), "it must take the ramp again");
        client.ahead = 2;
        assertEquals(0, after(ClientStall.LONG_STALL_MILLIS), "parked: nothing more to give back");
        assertTrue(stall.mayFetchAhead(6 * RAMP));
        assertFalse(stall.parked());
        // It stalls again later: the parts fetched since go back too.
        stopsReadingAt(8 * RAMP);
        assertEquals(2, after(ClientStall.LONG_STALL_MILLIS));
        assertEquals(5, readAhead.partsReleased());
    }

    @Test
    void nothingAheadNothingGivenBackAndNotParked() {
        client.ahead = 0;
        stopsReadingAt(5 * RAMP);
        assertEquals(0, after(ClientStall.LONG_STALL_MILLIS));
        assertFalse(stall.parked());
        assertTrue(stall.mayFetchAhead(5 * RAMP));
        assertEquals(0, readAhead.partsReleased());
    }
}
