package dev.bitsbridge.proxy.share;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.config.SharedStateConfig;
import dev.bitsbridge.proxy.s3.S3SharedState;
import dev.bitsbridge.proxy.share.SharedOnceLedger.Outcome;
import dev.bitsbridge.proxy.testing.S3Server;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The shared one-time-link ledger against s3proxy, two "instances" (two ledgers) on one state
 * bucket: the rules of {@link SpentLedger} hold across them (ranges delivered by different
 * instances add up to spent, the 2x budget counts every instance's bytes), and a running
 * transfer's lease is renewed past its length, so it is not taken over while alive.
 */
class SharedOnceLedgerTest {

    private static S3Server s3;
    private static S3SharedState state;
    private static final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private static final ExecutorService io = Executors.newFixedThreadPool(2);
    private static ShareLinks links;

    @BeforeAll
    static void start() throws Exception {
        s3 = new S3Server();
        s3.createBucket("state");
        state = S3SharedState.create(ProxyConfig.builder().bucket("data").region("us-east-1").endpoint(s3.endpoint())
                .sharedState(SharedStateConfig.OFF.withBucket("state")).build(), s3.credentials(), null);
        links = new ShareLinks(ShareSecret.shared(state), Clock.systemUTC());
    }

    @AfterAll
    static void stop() throws Exception {
        timer.shutdownNow();
        io.shutdownNow();
        state.close();
        s3.close();
    }

    private static ShareToken once() {
        return links.newToken("f.bin", Duration.ofMinutes(5), true, false);
    }

    private static OnceRecord record(ShareToken t) throws Exception {
        return OnceRecord.parse(state.get(SharedOnceLedger.nameOf(t)).body());
    }

    @Test
    void rangesDeliveredByTwoInstancesSpendTheLinkOnBoth() throws Exception {
        SharedOnceLedger a = new SharedOnceLedger(state, io, timer, Clock.systemUTC());
        SharedOnceLedger b = new SharedOnceLedger(state, io, timer, Clock.systemUTC());
        ShareToken t = once();
        SharedOnceLedger.Claim first = a.claim(t, size -> size < 0 ? 0 : 600).get();
        assertEquals(Outcome.CLAIMED, first.outcome());
        assertEquals(Outcome.BUSY, b.claim(t, size -> 0).get().outcome(), "one transfer at a time, cluster-wide");
        first.delivered(0, 600, 600, 1000, true);
        a.release(first).get();
        assertFalse(record(t).spent);
        assertNull(record(t).leaseOwner);

        SharedOnceLedger.Claim second = b.claim(t, size -> 400).get();
        assertEquals(Outcome.CLAIMED, second.outcome());
        second.delivered(600, 400, 400, 1000, true);
        b.release(second).get();
        assertTrue(record(t).spent, "the union of both instances' ranges covers the file");
        assertTrue(b.spentHere(t));
        assertFalse(a.spentHere(t), "a has not read it since");
        assertEquals(Outcome.SPENT, a.claim(t, size -> 0).get().outcome());
        assertTrue(a.spentHere(t), "and remembers it now");
        assertTrue(a.spent(t).get());
    }

    @Test
    void theBudgetCountsEveryInstancesBytes() throws Exception {
        SharedOnceLedger a = new SharedOnceLedger(state, io, timer, Clock.systemUTC());
        SharedOnceLedger b = new SharedOnceLedger(state, io, timer, Clock.systemUTC());
        ShareToken t = once();
        SharedOnceLedger.Claim c = a.claim(t, size -> 0).get();
        c.delivered(0, 999, 999, 1000, true); // all but the last byte
        a.release(c).get();
        c = b.claim(t, size -> 999).get();
        assertEquals(Outcome.CLAIMED, c.outcome(), "1998 of a 2000-byte budget");
        c.delivered(0, 999, 999, 1000, true);
        b.release(c).get();
        assertEquals(Outcome.OVER_BUDGET, a.claim(t, size -> 999).get().outcome());
        assertEquals(1998, record(t).served);
        assertNull(record(t).leaseOwner, "a refused claim writes nothing");
    }

    @Test
    void aRunningTransfersLeaseIsRenewedPastItsLength() throws Exception {
        Duration lease = Duration.ofSeconds(2);
        SharedOnceLedger a = new SharedOnceLedger(state, io, timer, Clock.systemUTC(), lease);
        SharedOnceLedger b = new SharedOnceLedger(state, io, timer, Clock.systemUTC(), lease);
        ShareToken t = once();
        SharedOnceLedger.Claim running = a.claim(t, size -> 0).get();
        assertEquals(Outcome.CLAIMED, running.outcome());
        long until = record(t).leaseUntil;
        Thread.sleep(5 * lease.toMillis() / 2);
        assertTrue(record(t).leaseUntil > until, "renewed");
        assertEquals(Outcome.BUSY, b.claim(t, size -> 0).get().outcome(), "two and a half lease lengths later, still held");
        a.release(running).get();
        // released: no renewal any more, and the link is free at once
        SharedOnceLedger.Claim next = b.claim(t, size -> 0).get();
        assertEquals(Outcome.CLAIMED, next.outcome());
        b.release(next).get();
    }
}
