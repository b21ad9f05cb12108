package dev.bitsbridge.proxy.download;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.Await;
import dev.bitsbridge.proxy.testing.RawHttp;
import dev.bitsbridge.proxy.testing.S3Server;
import dev.bitsbridge.proxy.testing.WanLink;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Read-ahead across requests, against a real S3 API (s3proxy, signatures checked): a BITS-style
 * job (HEAD, then consecutive ranges on one connection) gets each next range fetched before it
 * asks, byte-exact; random or small ranges cost exactly the S3 requests they cost without
 * read-ahead; a replaced object never mixes versions; the budget holds with many jobs; a client
 * that leaves or stops matching releases everything.
 *
 * <p>Parts of 256 KiB, 4 in flight: a 1 MiB range is one window of read-ahead.
 */
class SequentialReadAheadTest {

    private static final int PART = 256 * 1024;
    private static final int RANGE = 1024 * 1024;
    private static final byte[] DATA = random(12 * RANGE + 4321, 5);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    static S3Server s3;
    static BitsBridgeServer proxy;

    @BeforeAll
    static void start() throws Exception {
        s3 = new S3Server();
        s3.createBucket("seq");
        s3.put("seq", "job.bin", DATA);
        proxy = proxy(4, 4L * RANGE);
    }

    static BitsBridgeServer proxy(int parts, long budget) throws Exception {
        return new BitsBridgeServer(ProxyConfig.builder().port(0).bucket("seq").endpoint(s3.endpoint())
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
    void bitsJobGetsEachNextRangeFetchedBeforeItAsksByteExact() throws Exception {
        awaitIdle(proxy);
        long s3Before = upstreamRequests(proxy);
        long fromMemoryBefore = proxy.readAhead().rangesFromMemory();
        int ranges = 0;
        try (RawHttp c = RawHttp.connect(proxy.port())) {
            String etag = head(c, "/job.bin").header("etag");
            for (long off = 0; off < DATA.length; off += RANGE) {
                long end = Math.min(DATA.length, off + RANGE) - 1;
                if (off > 0) {
                    // The range about to be asked for is already in memory: no S3 round trip for it.
                    long want = end - off + 1;
                    long at = off;
                    Await.until(Duration.ofSeconds(10), () -> proxy.readAhead().bytesHeld() >= want,
                            () -> "range at " + at + " fetched ahead");
                }
                c.send(range("/job.bin", off, end, "If-Match: " + etag));
                RawHttp.Response r = c.readResponse(false);
                assertEquals(206, r.status(), r.toString());
                assertEquals("bytes " + off + "-" + end + "/" + DATA.length, r.header("content-range"));
                assertEquals(etag, r.header("etag"));
                assertTrue(r.complete());
                assertArrayEquals(Arrays.copyOfRange(DATA, (int) off, (int) end + 1), r.body(), "range at " + off);
                ranges++;
            }
            assertEquals(1, proxy.readAhead().streams());
        }
        awaitIdle(proxy);
        assertEquals(ranges - 1, proxy.readAhead().rangesFromMemory() - fromMemoryBefore,
                "every range after the first answered from the read-ahead");
        long s3Requests = upstreamRequests(proxy) - s3Before;
        // HEAD + one request per part (the first range's GET supplies its first part).
        long parts = (DATA.length + PART - 1) / PART;
        assertEquals(1 + parts, s3Requests);
        assertTrue(s3Requests <= 1 + DATA.length / PART + 2, "S3 requests " + s3Requests);
    }

    @Test
    void randomAndSmallRangesNeverFetchAhead() throws Exception {
        awaitIdle(proxy);
        long s3Before = upstreamRequests(proxy);
        long partsBefore = proxy.readAhead().partsFetched();
        Random rnd = new Random(21);
        int requests = 0;
        try (RawHttp c = RawHttp.connect(proxy.port())) {
            head(c, "/job.bin");
            // Consecutive, but small: 64 KiB pieces from 0, as a media player might read.
            for (int i = 0; i < 16; i++) {
                expectRange(c, i * 65536L, i * 65536L + 65535);
                requests++;
            }
            // Random 64 KiB ranges, and random ranges of 1 to 2 parts (not split, not consecutive).
            for (int i = 0; i < 60; i++) {
                int len = i % 2 == 0 ? 65536 : PART + rnd.nextInt(PART);
                long off = rnd.nextInt(DATA.length - len);
                expectRange(c, off, off + len - 1);
                requests++;
            }
        }
        awaitIdle(proxy);
        assertEquals(partsBefore, proxy.readAhead().partsFetched(), "no part fetched ahead");
        assertEquals(1 + requests, upstreamRequests(proxy) - s3Before, "one S3 request per client request");
    }

    @Test
    void objectReplacedMidSequenceNeverMixesVersions() throws Exception {
        byte[] old = random(8 * RANGE, 6);
        byte[] replacement = random(old.length, 7);
        s3.put("seq", "replaced.bin", old);
        int served = 0;
        boolean failed = false;
        try (RawHttp c = RawHttp.connect(proxy.port())) {
            c.timeout(Duration.ofSeconds(20));
            String etag = head(c, "/replaced.bin").header("etag");
            for (long off = 0; off < old.length && !failed; off += RANGE) {
                if (off == 2 * RANGE) {
                    // The next range is in memory; every part after it will find the new object.
                    Await.until(Duration.ofSeconds(10), () -> proxy.readAhead().bytesHeld() >= RANGE, () -> "read ahead");
                    s3.put("seq", "replaced.bin", replacement);
                }
                c.send(range("/replaced.bin", off, off + RANGE - 1, "If-Match: " + etag));
                RawHttp.Response h = c.readHead();
                if (h == null || h.status() != 206) {
                    assertTrue(h == null || h.status() == 412, "a clean failure: " + h);
                    failed = true;
                    break;
                }
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                boolean complete = c.readBody(body, RANGE);
                byte[] got = body.toByteArray();
                assertArrayEquals(Arrays.copyOfRange(old, (int) off, (int) off + got.length), got,
                        "only bytes of the first version, range at " + off);
                if (!complete) {
                    failed = true; // closed short: never looks complete
                } else {
                    served++;
                }
            }
        }
        assertTrue(failed, "the job cannot finish across two versions");
        assertTrue(served >= 3, "ranges fetched before the change were served: " + served);
        awaitIdle(proxy);
    }

    @Test
    void aHeadThatSeesANewVersionDropsTheReadAhead() throws Exception {
        byte[] v1 = random(4 * RANGE, 8);
        s3.put("seq", "rehead.bin", v1);
        awaitIdle(proxy);
        try (RawHttp c = RawHttp.connect(proxy.port())) {
            String etag = head(c, "/rehead.bin").header("etag");
            c.send(range("/rehead.bin", 0, RANGE - 1));
            assertArrayEquals(Arrays.copyOf(v1, RANGE), c.readResponse(false).body());
            Await.until(Duration.ofSeconds(10), () -> proxy.readAhead().bytesHeld() > 0, () -> "parts fetched ahead");
            s3.put("seq", "rehead.bin", random(4 * RANGE, 9));
            String now = head(c, "/rehead.bin").header("etag");
            assertFalse(etag.equals(now));
            Await.until(Duration.ofSeconds(1), () -> proxy.readAhead().streams() == 0 && proxy.readAhead().bytesHeld() == 0
                    && proxy.readAhead().bytesReserved() == 0, () -> "the old version's read-ahead dropped");
        }
    }

    @Test
    void manyJobsAtOnceNeverHoldMoreThanTheBudget() throws Exception {
        long budget = 3L * PART;
        BitsBridgeServer small = proxy(4, budget);
        try {
            List<CompletableFuture<Boolean>> jobs = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                jobs.add(CompletableFuture.supplyAsync(() -> job(small.port())));
            }
            long peak = 0;
            while (!jobs.stream().allMatch(CompletableFuture::isDone)) {
                peak = Math.max(peak, Math.max(small.readAhead().bytesHeld(), small.readAhead().bytesReserved()));
                Thread.sleep(1); // sampling the gauges, not waiting for a condition
            }
            jobs.forEach(j -> assertTrue(j.join(), "byte-exact"));
            peak = Math.max(peak, small.readAhead().peakBytesHeld());
            assertTrue(small.readAhead().partsFetched() > 0, "parts were fetched ahead");
            assertTrue(peak <= budget, "held " + peak + " of a budget of " + budget);
            awaitIdle(small);
        } finally {
            small.stop(Duration.ZERO);
        }
    }

    @Test
    void clientLeavingBetweenRangesCancelsTheReadAhead() throws Exception {
        awaitIdle(proxy);
        try (RawHttp c = RawHttp.connect(proxy.port())) {
            head(c, "/job.bin");
            expectRange(c, 0, RANGE - 1);
            Await.until(Duration.ofSeconds(10), () -> proxy.readAhead().bytesHeld() > 0,
                    () -> "parts fetched ahead");
        }
        Await.until(Duration.ofSeconds(1), () -> proxy.readAhead().partsInFlight() == 0
                && proxy.readAhead().bytesHeld() == 0 && proxy.readAhead().bytesReserved() == 0,
                () -> "read-ahead released within 1 s");
    }

    @Test
    void clientLeavingMidRangeCancelsTheReadAhead() throws Exception {
        awaitIdle(proxy);
        try (RawHttp c = RawHttp.connect(proxy.port(), 16 * 1024)) {
            head(c, "/job.bin");
            expectRange(c, 0, RANGE - 1);
            c.send(range("/job.bin", RANGE, 4L * RANGE - 1));
            assertEquals(206, c.readHead().status());
            assertTrue(c.readBody(new ByteArrayOutputStream(), 64 * 1024));
        }
        Await.until(Duration.ofSeconds(1), () -> proxy.readAhead().partsInFlight() == 0
                && proxy.readAhead().bytesHeld() == 0 && proxy.readAhead().bytesReserved() == 0,
                () -> "read-ahead released within 1 s");
    }

    @Test
    void aRequestThatDoesNotContinueDropsTheReadAheadAndIsAnsweredFromS3() throws Exception {
        awaitIdle(proxy);
        try (RawHttp c = RawHttp.connect(proxy.port())) {
            head(c, "/job.bin");
            expectRange(c, 0, RANGE - 1);
            Await.until(Duration.ofSeconds(10), () -> proxy.readAhead().bytesHeld() > 0,
                    () -> "parts fetched ahead");
            expectRange(c, 5L * RANGE + 17, 5L * RANGE + 17 + 1000);
            Await.until(Duration.ofSeconds(1), () -> proxy.readAhead().bytesHeld() == 0 && proxy.readAhead().bytesReserved() == 0, () -> "read-ahead dropped");
            // The connection goes on as before.
            expectRange(c, 100, 199);
        }
    }

    @Test
    void theStatusPageShowsEachTransfersUpstreamConnections() throws Exception {
        // Behind a slow link (40 ms RTT, 64 KiB per round trip) a part takes a while, long enough to be seen.
        try (WanLink link = new WanLink("127.0.0.1", s3.endpoint().getPort(), Duration.ofMillis(40), 64 * 1024);
                BitsBridgeServer slow = new BitsBridgeServer(ProxyConfig.builder().port(0).bucket("seq")
                        .endpoint(URI.create("http://127.0.0.1:" + link.port())).parallelConnections(4).partSize(PART)
                        .readAheadMemory(4L * RANGE).build(), s3.credentials()).start();
                RawHttp c = RawHttp.connect(slow.port())) {
            head(c, "/job.bin");
            expectRange(c, 0, RANGE - 1);
            c.send(range("/job.bin", RANGE, 6L * RANGE - 1));
            CompletableFuture<RawHttp.Response> job = CompletableFuture.supplyAsync(() -> {
                try {
                    return c.readResponse(false);
                } catch (java.io.IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            String status = Await.value(Duration.ofSeconds(10), () -> status(slow),
                    s -> s.contains("\"upstream_connections\":4"), "4 parts in flight on the status page");
            assertTrue(status.contains("\"path\":\"/job.bin\""), status);
            RawHttp.Response r = job.get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(206, r.status());
            assertArrayEquals(Arrays.copyOfRange(DATA, RANGE, 6 * RANGE), r.body());
        }
    }

    private static String status(BitsBridgeServer p) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + p.port() + "/_bitsbridge/status.json"))
                .header("Authorization", "Bearer " + p.adminToken()).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)).body();
    }

    /** A BITS-style job on its own connection; true when every range was byte-exact. */
    private static boolean job(int port) {
        try (RawHttp c = RawHttp.connect(port)) {
            head(c, "/job.bin");
            for (long off = 0; off < DATA.length; off += RANGE) {
                long end = Math.min(DATA.length, off + RANGE) - 1;
                c.send(range("/job.bin", off, end));
                RawHttp.Response r = c.readResponse(false);
                if (r.status() != 206 || !Arrays.equals(Arrays.copyOfRange(DATA, (int) off, (int) end + 1), r.body())) {
                    return false;
                }
                Thread.sleep(2); // the job's pace between ranges, not a wait for a condition
            }
            return true;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static RawHttp.Response head(RawHttp c, String path) throws Exception {
        c.send("HEAD " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: Microsoft BITS/7.8\r\n\r\n");
        RawHttp.Response r = c.readResponse(true);
        assertEquals(200, r.status(), r.toString());
        assertNotNull(r.header("etag"));
        return r;
    }

    private static void expectRange(RawHttp c, long first, long last) throws Exception {
        c.send(range("/job.bin", first, last));
        RawHttp.Response r = c.readResponse(false);
        assertEquals(206, r.status(), r.toString());
        assertArrayEquals(Arrays.copyOfRange(DATA, (int) first, (int) last + 1), r.body(), "range at " + first);
    }

    private static String range(String path, long first, long last, String... headers) {
        StringBuilder b = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "User-Agent: Microsoft BITS/7.8\r\nRange: bytes=" + first + "-" + last + "\r\n");
        for (String h : headers) {
            b.append(h).append("\r\n");
        }
        return b.append("\r\n").toString();
    }

    private static void awaitIdle(BitsBridgeServer p) throws Exception {
        Await.until(Duration.ofSeconds(10), () -> p.readAhead().partsInFlight() == 0 && p.readAhead().bytesReserved() == 0
                && p.readAhead().bytesHeld() == 0 && p.readAhead().streams() == 0, () -> "no part left behind");
    }

    /** S3 requests the proxy got an answer to (its upstream latency histogram counts each one). */
    static long upstreamRequests(BitsBridgeServer p) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + p.port()
                + "/_bitsbridge/metrics")).header("Authorization", "Bearer " + p.adminToken()).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        assertEquals(200, r.statusCode());
        double sum = 0;
        for (String line : r.body().split("\n")) {
            if (line.startsWith("bitsbridge_upstream_latency_seconds_count{")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        assertFalse(Double.isNaN(sum));
        return (long) sum;
    }
}
