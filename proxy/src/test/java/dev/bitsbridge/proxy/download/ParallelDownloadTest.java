package dev.bitsbridge.proxy.download;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.testing.RawHttp;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.S3Server;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Large downloads fetched as parallel ranged GETs from a real S3 API (s3proxy, signatures
 * checked), with 64 KiB parts so objects of a few MiB take dozens of parts: bytes reassembled in
 * order, exact Content-Length and Content-Range, a replaced object never mixed in, parts
 * cancelled when the client leaves, the read-ahead budget never exceeded, and the number of S3
 * requests bounded.
 */
class ParallelDownloadTest {

    private static final int PART = 64 * 1024;
    private static final byte[] DATA = random(3 * 1024 * 1024 + 12345, 1);
    private static final byte[] BIG = random(8 * 1024 * 1024 + 7, 2);

    static S3Server s3;
    static BitsBridgeServer proxy;

    @BeforeAll
    static void start() throws Exception {
        s3 = new S3Server();
        s3.createBucket("par");
        s3.put("par", "data.bin", DATA);
        s3.put("par", "big.bin", BIG);
        proxy = proxy(4, 4L * 1024 * 1024);
        // Parts at the cap after the ramp whatever this machine's loopback speed and the test
        // clients' pace, so the request counts below are exact (ParallelismRule would narrow
        // them on a fast loopback, or for a client slower than one connection).
        proxy.readAhead().adaptive(false);
    }

    static BitsBridgeServer proxy(int parts, long budget) throws Exception {
        return new BitsBridgeServer(ProxyConfig.builder().port(0).bucket("par").endpoint(s3.endpoint())
                .parallelConnections(parts).partSize(PART).readAheadMemory(budget).build(), s3.credentials()).start();
    }

    @AfterAll
    static void stop() throws Exception {
        proxy.stop(Duration.ZERO);
        s3.close();
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void wholeObjectComesByteExactFromManyPartsWithinTheRequestBound() throws Exception {
        long before = proxy.readAhead().partsFetched();

        RawHttp.Response r = RawHttp.exchange(proxy.port(), RawHttp.get("/data.bin"));

        assertEquals(200, r.status(), r.toString());
        assertEquals(DATA.length, r.contentLength());
        assertTrue(r.complete());
        assertArrayEquals(DATA, r.body());
        long parts = (DATA.length + PART - 1) / PART;
        long ranged = proxy.readAhead().partsFetched() - before;
        assertEquals(parts - 1, ranged, "one ranged GET per part after the first");
        assertTrue(1 + ranged <= DATA.length / PART + 2, "S3 requests " + (1 + ranged));
        awaitIdle(proxy);
    }

    @Test
    void largeRangeIsByteExactWithItsContentRange() throws Exception {
        long before = proxy.readAhead().partsFetched();

        RawHttp.Response r = RawHttp.exchange(proxy.port(), RawHttp.get("/data.bin", "Range: bytes=100000-2999999"));

        assertEquals(206, r.status(), r.toString());
        assertEquals("bytes 100000-2999999/" + DATA.length, r.header("Content-Range"));
        assertEquals(2900000, r.contentLength());
        assertArrayEquals(Arrays.copyOfRange(DATA, 100000, 3000000), r.body());
        assertTrue(proxy.readAhead().partsFetched() - before >= 40, "fetched in parts");
    }

    @Test
    void rangesUpToTwiceThePartSizeStayOneRequest() throws Exception {
        long before = proxy.readAhead().partsFetched();

        RawHttp.Response r = RawHttp.exchange(proxy.port(),
                RawHttp.get("/data.bin", "Range: bytes=1000-" + (1000 + 2 * PART - 1)));

        assertEquals(206, r.status(), r.toString());
        assertArrayEquals(Arrays.copyOfRange(DATA, 1000, 1000 + 2 * PART), r.body());
        assertEquals(before, proxy.readAhead().partsFetched(), "no extra S3 request");
    }

    @Test
    void objectReplacedMidTransferEndsShortWithOnlyTheOldBytes() throws Exception {
        // Far larger than what socket buffers and the parts ahead can hold while the client waits.
        byte[] old = random(16 * 1024 * 1024, 3);
        byte[] replacement = random(old.length, 4);
        s3.put("par", "replaced.bin", old);
        try (RawHttp c = RawHttp.connect(proxy.port(), 16 * 1024)) {
            c.send(RawHttp.get("/replaced.bin"));
            RawHttp.Response head = c.readHead();
            assertEquals(200, head.status());
            assertEquals(old.length, head.contentLength());
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            assertTrue(c.readBody(got, 256 * 1024));

            s3.put("par", "replaced.bin", replacement);
            c.timeout(Duration.ofSeconds(20));
            boolean complete = c.readBody(got, old.length - 256 * 1024);

            assertFalse(complete, "a transfer across two versions must not end cleanly");
            byte[] body = got.toByteArray();
            assertTrue(body.length < old.length);
            assertArrayEquals(Arrays.copyOf(old, body.length), body, "only bytes of the first version");
        }
        awaitIdle(proxy);
    }

    @Test
    void clientLeavingCancelsEveryPartAndReleasesTheBudget() throws Exception {
        try (RawHttp c = RawHttp.connect(proxy.port(), 16 * 1024)) {
            c.send(RawHttp.get("/big.bin"));
            assertEquals(200, c.readHead().status());
            assertTrue(c.readBody(new ByteArrayOutputStream(), 512 * 1024));
            await(() -> proxy.readAhead().bytesHeld() > 0, Duration.ofSeconds(10), "parts fetched ahead");
            // Parts may all have finished receiving by now (the 4 MiB budget fills fast on
            // loopback, and then none is in flight): what must go is what they hold and reserve.
            assertTrue(proxy.readAhead().bytesReserved() > 0, "budget reserved by the parts");
        }
        await(() -> proxy.readAhead().partsInFlight() == 0 && proxy.readAhead().bytesHeld() == 0
                && proxy.readAhead().bytesReserved() == 0, Duration.ofSeconds(1), "parts cancelled within 1 s");
    }

    @Test
    void partsThatAddNothingGoBackToOneRequestForTheRestByteExact() throws Exception {
        BitsBridgeServer narrow = proxy(4, 4L * 1024 * 1024);
        narrow.readAhead().margin(Double.POSITIVE_INFINITY); // no rate is enough: the probe narrows
        try {
            long before = narrow.readAhead().partsFetched();
            RawHttp.Response r = RawHttp.exchange(narrow.port(), RawHttp.get("/data.bin"));
            assertEquals(200, r.status(), r.toString());
            assertTrue(r.complete());
            assertArrayEquals(DATA, r.body());
            assertEquals(1, narrow.readAhead().transfersNarrowed());
            long ranged = narrow.readAhead().partsFetched() - before;
            long parts = (DATA.length + PART - 1) / PART;
            assertTrue(ranged < parts - 1, ranged + " ranged GETs: the rest came in one, not one per part");

            RawHttp.Response range = RawHttp.exchange(narrow.port(), RawHttp.get("/big.bin", "Range: bytes=1000-7000000"));
            assertEquals(206, range.status());
            assertEquals("bytes 1000-7000000/" + BIG.length, range.header("content-range"));
            assertArrayEquals(Arrays.copyOfRange(BIG, 1000, 7000001), range.body());
            assertEquals(2, narrow.readAhead().transfersNarrowed());
            awaitIdle(narrow);
        } finally {
            narrow.stop(Duration.ZERO);
        }
    }

    @Test
    void stalledClientGivesItsPartsBackWhenAnotherWantsTheBudgetAndResumesByteExact() throws Exception {
        long budget = 4 * PART;
        BitsBridgeServer small = proxy(4, budget);
        small.readAhead().adaptive(false);
        try (RawHttp stalled = RawHttp.connect(small.port(), 16 * 1024)) {
            stalled.send(RawHttp.get("/big.bin"));
            assertEquals(200, stalled.readHead().status());
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            assertTrue(stalled.readBody(got, 512 * 1024));
            // It stops reading here, with the whole budget fetched ahead of it.
            await(() -> small.readAhead().bytesReserved() == budget && small.readAhead().bytesHeld() > 0,
                    Duration.ofSeconds(10), "the stalled client's parts hold the budget");
            long released = small.readAhead().partsReleased();

            // Another client wants the budget: refused at first, the stalled one gives its parts back.
            assertArrayEquals(DATA, RawHttp.exchange(small.port(), RawHttp.get("/data.bin")).body());
            await(() -> small.readAhead().partsReleased() > released, Duration.ofSeconds(10), "parts given back");
            await(() -> small.readAhead().bytesReserved() <= PART && small.readAhead().bytesHeld() <= PART,
                    Duration.ofSeconds(5), "a stalled client holds at most the part it is reading");

            // The budget is free for others now: a new download fetches parts ahead again.
            CompletableFuture<byte[]> other = CompletableFuture.supplyAsync(() -> slowRead(small.port(), "/data.bin"));
            long most = 0;
            while (!other.isDone()) {
                most = Math.max(most, small.readAhead().bytesReserved());
                Thread.onSpinWait();
            }
            assertArrayEquals(DATA, other.join());
            assertTrue(most > PART, "another client fetched parts ahead: " + most + " bytes reserved at most");

            // The stalled client reads again: every byte, in order, the dropped parts asked again.
            stalled.timeout(Duration.ofSeconds(30));
            assertTrue(stalled.readBody(got, BIG.length - 512 * 1024), "the whole body");
            assertArrayEquals(BIG, got.toByteArray());
            awaitIdle(small);
        } finally {
            small.stop(Duration.ZERO);
        }
    }

    @Test
    void slowClientsNeverMakeTheProxyHoldMoreThanTheBudget() throws Exception {
        long budget = 3 * PART;
        BitsBridgeServer small = proxy(8, budget);
        small.readAhead().adaptive(false);
        try {
            CompletableFuture<byte[]> a = CompletableFuture.supplyAsync(() -> slowRead(small.port(), "/data.bin"));
            CompletableFuture<byte[]> b = CompletableFuture.supplyAsync(() -> slowRead(small.port(), "/data.bin"));
            long peak = 0;
            while (!(a.isDone() && b.isDone())) {
                peak = Math.max(peak, small.readAhead().bytesHeld());
                Thread.onSpinWait();
            }
            assertArrayEquals(DATA, a.join());
            assertArrayEquals(DATA, b.join());
            peak = Math.max(peak, small.readAhead().peakBytesHeld());
            assertTrue(peak > 0, "parts were fetched ahead");
            assertTrue(peak <= budget, "held " + peak + " of a budget of " + budget);
            awaitIdle(small);
        } finally {
            small.stop(Duration.ZERO);
        }
    }

    /** A client that reads 16 KiB at a time with pauses: the proxy fetches ahead of it. */
    static byte[] slowRead(int port, String path) {
        try (RawHttp c = RawHttp.connect(port, 16 * 1024)) {
            c.send(RawHttp.get(path));
            RawHttp.Response head = c.readHead();
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            long left = head.contentLength();
            while (left > 0) {
                int n = (int) Math.min(16 * 1024, left);
                if (!c.readBody(body, n)) {
                    break;
                }
                left -= n;
                Thread.sleep(1); // the client's pace, not a wait for a condition
            }
            return body.toByteArray();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void awaitIdle(BitsBridgeServer p) throws InterruptedException {
        await(() -> p.readAhead().partsInFlight() == 0 && p.readAhead().bytesReserved() == 0
                && p.readAhead().bytesHeld() == 0, Duration.ofSeconds(5), "no part left behind");
    }

    static void await(BooleanSupplier condition, Duration within, String what) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + within + ": " + what);
            }
            Thread.sleep(5);
        }
    }
}
