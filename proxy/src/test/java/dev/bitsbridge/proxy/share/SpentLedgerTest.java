package dev.bitsbridge.proxy.share;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.testing.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one-time ledger's rules without sockets: what a cut response counts, the resume that
 * confirms what the client held, and the delivered-bytes budget (issue #15, finding 7).
 */
class SpentLedgerTest {

    private static final long SIZE = 10_000;

    @TempDir
    Path state;
    private final MutableClock clock = MutableClock.startingNow();
    private ShareToken token;
    private SpentLedger ledger;

    @BeforeEach
    void open() throws Exception {
        ShareLinks links = new ShareLinks(ShareSecret.open(state), clock);
        token = links.newToken("setup.exe", Duration.ofHours(1), true, false);
        ledger = SpentLedger.open(state.resolve("shares"), Runnable::run, null, clock);
    }

    @Test
    void aCutDownloadThenAResumeFromWhereTheClientWasSpendsTheLink() {
        // 6,000 written, 3,000 seen acknowledged; the client actually read 4,000 and resumes there.
        ledger.delivered(token, 0, 3_000, 6_000, SIZE, false);
        assertFalse(ledger.spentHere(token));
        assertEquals(3_000, ledger.deliveredBytes(token));
        ledger.delivered(token, 4_000, 6_000, 6_000, SIZE, true);
        assertTrue(ledger.spentHere(token), "the resume from 4,000 says the client held 3,000 to 4,000");
    }

    @Test
    void aResumeOutsideWhatWasWrittenConfirmsNothing() {
        ledger.delivered(token, 0, 3_000, 6_000, SIZE, false);
        ledger.delivered(token, 7_000, 3_000, 3_000, SIZE, true);
        assertFalse(ledger.spentHere(token), "3,000 to 7,000 were never seen delivered");
        assertEquals(6_000, ledger.deliveredBytes(token));
    }

    @Test
    void rangesHoldingBackTheLastByteRunIntoTheBudget() throws Exception {
        long wanted = SIZE - 1;
        int served = 0;
        while (ledger.withinBudget(token, wanted)) {
            ledger.delivered(token, 0, wanted, wanted, SIZE, true);
            served++;
            assertTrue(served <= 2, "the budget is twice the object");
        }
        assertEquals(2, served);
        assertEquals(2 * wanted, ledger.servedBytes(token));
        assertFalse(ledger.spentHere(token), "not every byte, and the budget not used up");
        assertTrue(ledger.withinBudget(token, 2), "the last byte still fits");
        ledger.delivered(token, SIZE - 1, 1, 1, SIZE, true);
        assertTrue(ledger.spentHere(token));

        SpentLedger reopened = SpentLedger.open(state.resolve("shares"), Runnable::run, null, clock);
        assertTrue(reopened.spentHere(token), "durable");
        assertEquals(2 * wanted + 1, reopened.servedBytes(token));
    }

    @Test
    void usingUpTheBudgetSpendsTheLink() throws Exception {
        ledger.delivered(token, 0, SIZE - 1, SIZE - 1, SIZE, true);
        ledger.delivered(token, 1, SIZE - 1, SIZE - 1, SIZE, true);
        assertTrue(ledger.spentHere(token), "covered: spent");
        ShareToken other = new ShareLinks(ShareSecret.open(state), clock).newToken("b", Duration.ofHours(1), true, false);
        ledger.delivered(other, 0, SIZE / 2, SIZE / 2, SIZE, true);
        ledger.delivered(other, 0, SIZE / 2, SIZE / 2, SIZE, true);
        ledger.delivered(other, 0, SIZE / 2, SIZE / 2, SIZE, true);
        ledger.delivered(other, 0, SIZE / 2, SIZE / 2, SIZE, true);
        assertTrue(ledger.spentHere(other), "twice the object delivered: spent though the second half never was");
    }
}
