package dev.bitsbridge.proxy.download;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.Await;
import dev.bitsbridge.proxy.testing.MutableClock;
import dev.bitsbridge.proxy.testing.ProxyFixture;
import dev.bitsbridge.proxy.testing.RawHttp;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A BITS job whose client stops reading in the middle of a range (its connection open), against
 * a real S3 API (s3proxy, signatures checked): its read-ahead gives the parts ahead back by the
 * rule parallel downloads follow ({@link ClientStall}), another transfer gets the budget, and the
 * job, reading again, gets the rest of its range byte-exact with the promised Content-Length, or,
 * the object replaced meanwhile, a response closed short with only the first version's bytes.
 *
 * <p>Parts of 256 KiB, 4 at once: the read-ahead window is 1 MiB; the budget is 6 parts, so a
 * stalled job's window leaves 1 or 2 to others. The stall's time is moved with a {@link MutableClock}
 * (the proxy's stall clock), not waited for; the client's receive buffer is 16 KiB, so the
 * proxy's channel stops being writable soon after it stops reading.
 */
class StalledReadAheadTest {

    private static final int PART = 256 * 1024;
    private static final int MIB = 1024 * 1024;
    private static final byte[] DATA = random(16 * MIB + 999, 11);
    private static final byte[] OTHER = random(3 * MIB + 5, 12);
    /** The stalled range: 12 MiB from byte 1 MiB, far more than socket buffers absorb. */
    private static final long FIRST = MIB;
    private static final long LAST = 13L * MIB - 1;
    private static final int READ_BEFORE_STALL = 256 * 1024;

    @RegisterExtension
    static final ProxyFixture fx = ProxyFixture.builder().bucket("stall").object("job.bin", DATA)
            .object("other.bin", OTHER).withoutProxy().build();

    private final MutableClock clock = MutableClock.startingNow();
    /** The stall clock when the job started (its range is sent at once after). */
    private long startedAt;

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private BitsBridgeServer proxy() throws Exception {
        BitsBridgeServer p = fx.startProxy(b -> b.parallelConnections(4).partSize(PART).readAheadMemory(6L * PART));
        p.readAhead().clock(() -> clock.millis() * 1_000_000L);
        p.readAhead().adaptive(false); // the other transfer fetches at the cap, whatever this machine's speed
        return p;
    }

    @Test
    void longStallGivesThePartsBackAndTheJobResumesByteExact() throws Exception {
        BitsBridgeServer p = proxy();
        try (RawHttp job = RawHttp.connect(p.port(), 16 * 1024)) {
            ByteArrayOutputStream got = stallMidRange(p, job, "/job.bin", DATA);
            // Stalled 10 s (clock moved, not waited for), nobody else asking: the parts go back.
            awaitGivenBack(p, p.readAhead().partsReleased(), ClientStall.LONG_STALL_MILLIS + 1);
            assertEquals(1, p.readAhead().streams(), "the job's reading goes on");

            assertOtherTransferGetsTheBudget(p);

            resumeAndExpectTheRest(job, got);
            assertNextRangeStillServed(job);
        }
        awaitIdle(p);
    }

    @Test
    void stallGivesThePartsBackWhenAnotherTransferWantsTheBudget() throws Exception {
        BitsBridgeServer p = proxy();
        try (RawHttp job = RawHttp.connect(p.port(), 16 * 1024)) {
            ByteArrayOutputStream got = stallMidRange(p, job, "/job.bin", DATA);
            long released = p.readAhead().partsReleased();
            // Stalled 1.5 s: nobody wants the budget yet, so the job keeps its parts.
            clock.advance(Duration.ofMillis(ClientStall.STALL_MILLIS * 3 / 2));

            // Another download wants more than the parts left free: refused, now.
            RawHttp.Response other = RawHttp.exchange(p.port(), RawHttp.get("/other.bin"));
            assertEquals(200, other.status());
            assertArrayEquals(OTHER, other.body());

            // The next check gives the parts back (the clock moves on only a little meanwhile, in
            // case the job's last progress was seen after it was moved).
            awaitGivenBack(p, released, 100);
            assertTrue(clock.millis() - startedAt < ClientStall.LONG_STALL_MILLIS, "before the long stall");

            assertOtherTransferGetsTheBudget(p);
            resumeAndExpectTheRest(job, got);
        }
        awaitIdle(p);
    }

    @Test
    void objectReplacedDuringTheStallClosesTheRangeShortNeverMixed() throws Exception {
        byte[] old = random(DATA.length, 13);
        byte[] replacement = random(DATA.length, 14);
        fx.s3().put("stall", "replaced.bin", old);
        BitsBridgeServer p = proxy();
        try (RawHttp job = RawHttp.connect(p.port(), 16 * 1024)) {
            ByteArrayOutputStream got = stallMidRange(p, job, "/replaced.bin", old);
            awaitGivenBack(p, p.readAhead().partsReleased(), ClientStall.LONG_STALL_MILLIS + 1);

            fx.s3().put("stall", "replaced.bin", replacement);
            job.timeout(Duration.ofSeconds(30));
            boolean complete = job.readBody(got, LAST - FIRST + 1 - got.size());

            assertFalse(complete, "a range across two versions must not end cleanly");
            byte[] body = got.toByteArray();
            assertTrue(body.length < LAST - FIRST + 1);
            assertTrue(body.length >= READ_BEFORE_STALL, "what was read before the stall: " + body.length);
            assertArrayEquals(Arrays.copyOfRange(old, (int) FIRST, (int) FIRST + body.length), body,
                    "only bytes of the first version");
        }
        awaitIdle(p);
    }

    /**
     * HEAD, the first MiB read whole (the reading starts), then the next 12 MiB asked and
     * {@link #READ_BEFORE_STALL} of it read; then the client stops reading, with the read-ahead
     * window fetched ahead of it. Returns what it got of the range.
     */
    private ByteArrayOutputStream stallMidRange(BitsBridgeServer p, RawHttp job, String path, byte[] data)
            throws Exception {
        startedAt = clock.millis();
        job.send(head(path));
        RawHttp.Response h = job.readResponse(true);
        assertEquals(200, h.status(), h.toString());
        job.send(range(path, 0, FIRST - 1));
        RawHttp.Response first = job.readResponse(false);
        assertEquals(206, first.status());
        assertArrayEquals(Arrays.copyOf(data, (int) FIRST), first.body());
        job.send(range(path, FIRST, LAST));
        RawHttp.Response head = job.readHead();
        assertEquals(206, head.status(), head.toString());
        assertEquals(LAST - FIRST + 1, head.contentLength());
        assertEquals("bytes " + FIRST + "-" + LAST + "/" + data.length, head.header("content-range"));
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        assertTrue(job.readBody(got, READ_BEFORE_STALL));
        // It stops reading here; its window (1 MiB past what it was sent: 4 or 5 of the 6 parts of
        // the budget) is fetched ahead of it.
        Await.until(Duration.ofSeconds(10), () -> p.readAhead().bytesReserved() >= 3L * PART
                && p.readAhead().partsInFlight() == 0,
                () -> "the stalled job's window fetched: reserved " + p.readAhead().bytesReserved() + ", held "
                        + p.readAhead().bytesHeld());
        return got;
    }

    /**
     * Moves the stall clock {@code stepMillis} at a time until the stalled job gave parts back
     * (counted in the metric), then checks it keeps at most the part its current response is
     * being sent from.
     */
    private void awaitGivenBack(BitsBridgeServer p, long releasedBefore, long stepMillis) throws Exception {
        Await.until(Duration.ofSeconds(10), () -> {
            clock.advance(Duration.ofMillis(stepMillis));
            return p.readAhead().partsReleased() > releasedBefore;
        }, () -> "parts given back, the clock moved " + stepMillis + " ms at a time");
        Await.until(Duration.ofSeconds(5), () -> p.readAhead().bytesReserved() <= PART
                && p.readAhead().bytesHeld() <= PART && p.readAhead().partsInFlight() == 0,
                () -> "a stalled job holds at most one part: reserved " + p.readAhead().bytesReserved() + ", held "
                        + p.readAhead().bytesHeld());
    }

    /** A new download now fetches more ahead than the stalled job's window left free. */
    private static void assertOtherTransferGetsTheBudget(BitsBridgeServer p) throws Exception {
        CompletableFuture<byte[]> other = CompletableFuture.supplyAsync(
                () -> ParallelDownloadTest.slowRead(p.port(), "/other.bin"));
        long most = 0;
        while (!other.isDone()) {
            most = Math.max(most, p.readAhead().bytesReserved());
            Thread.onSpinWait(); // sampling the gauge while the download runs, not waiting for a condition
        }
        assertArrayEquals(OTHER, other.join());
        assertTrue(most > 3L * PART, "another transfer fetched ahead with the budget given back: " + most
                + " bytes reserved at most");
    }

    /** The job reads again: the rest of its range, every byte in order, exactly as promised. */
    private static void resumeAndExpectTheRest(RawHttp job, ByteArrayOutputStream got) throws Exception {
        job.timeout(Duration.ofSeconds(30));
        assertTrue(job.readBody(got, LAST - FIRST + 1 - got.size()), "the whole range");
        assertArrayEquals(Arrays.copyOfRange(DATA, (int) FIRST, (int) LAST + 1), got.toByteArray());
    }

    /** The connection and the reading go on: the next range, byte-exact. */
    private static void assertNextRangeStillServed(RawHttp job) throws Exception {
        job.send(range("/job.bin", LAST + 1, LAST + MIB));
        RawHttp.Response r = job.readResponse(false);
        assertEquals(206, r.status(), r.toString());
        assertTrue(r.complete());
        assertArrayEquals(Arrays.copyOfRange(DATA, (int) LAST + 1, (int) LAST + 1 + MIB), r.body());
    }

    private static String head(String path) {
        return "HEAD " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: Microsoft BITS/7.8\r\n\r\n";
    }

    private static String range(String path, long first, long last) {
        return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: Microsoft BITS/7.8\r\nRange: bytes="
                + first + "-" + last + "\r\n\r\n";
    }

    private static void awaitIdle(BitsBridgeServer p) throws Exception {
        Await.until(Duration.ofSeconds(10), () -> p.readAhead().partsInFlight() == 0 && p.readAhead().bytesReserved() == 0
                && p.readAhead().bytesHeld() == 0, () -> "no part left behind");
    }
}
