package dev.bitsbridge.proxy.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.config.CacheConfig;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.Await;
import dev.bitsbridge.proxy.testing.MutableClock;
import dev.bitsbridge.proxy.testing.ProxyFixture;
import dev.bitsbridge.proxy.testing.RawHttp;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The shared disk cache against a real S3 API (s3proxy, signatures checked), counting what S3 is
 * asked for with the proxy's own upstream metrics (GET answers by status, bytes read from S3
 * connections): concurrent cold clients make one fetch, warm requests make none, a replaced
 * object is served after the validity window and never mixed, a corrupt or torn slice is fetched
 * again, a restart keeps the cache, the size bound holds, and a broken cache folder only costs the
 * cache. Slices are 64 to 256 KiB so that objects of a few MiB span many of them.
 */
class DiskCacheTest {

    private static final int SLICE = 256 * 1024;
    private static final byte[] DATA = random(3 * 1024 * 1024 + 12345, 1);
    private static final MutableClock CLOCK = MutableClock.startingNow();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @RegisterExtension
    static final ProxyFixture fx = ProxyFixture.builder().bucket("cache").object("data.bin", DATA).clock(CLOCK)
            .withoutProxy().build();

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private BitsBridgeServer proxy(Path dir, long maxBytes, int slice) throws Exception {
        return fx.startProxy(b -> b.cache(CacheConfig.OFF.withDir(dir).withMaxBytes(maxBytes).withSliceSize(slice)));
    }

    private BitsBridgeServer proxy(Path dir) throws Exception {
        return proxy(dir, 1L << 30, SLICE);
    }

    /** GET answers S3 gave the proxy, all statuses. */
    static long s3Gets(BitsBridgeServer p) throws Exception {
        Matcher m = Pattern.compile("(?m)^bitsbridge_upstream_latency_seconds_count\\{method=\"GET\",[^}]*\\} (\\S+)$")
                .matcher(metrics(p));
        long n = 0;
        while (m.find()) {
            n += (long) Double.parseDouble(m.group(1));
        }
        return n;
    }

    static double metric(BitsBridgeServer p, String series) throws Exception {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(metrics(p));
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    static String metrics(BitsBridgeServer p) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + p.port()
                + "/_bitsbridge/metrics")).header("Authorization", "Bearer " + p.adminToken()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        return r.body();
    }

    static RawHttp.Response get(BitsBridgeServer p, String path, String... headers) throws IOException {
        return RawHttp.exchange(p.port(), RawHttp.get(path, headers));
    }

    static void awaitIdle(BitsBridgeServer p) throws Exception {
        Await.until(Duration.ofSeconds(10), () -> p.requestsInFlight() == 0, () -> "requests still in flight");
    }

    static List<Path> sliceFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir.resolve("slices"))) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }

    static long sliceBytes(Path dir) throws IOException {
        long n = 0;
        for (Path f : sliceFiles(dir)) {
            n += Files.size(f);
        }
        return n;
    }

    @Test
    void tenConcurrentColdClientsMakeOneFetchOfEachSliceAndAllGetExactBytes() throws Exception {
        BitsBridgeServer p = proxy(fx.newDir());
        double wireBefore = metric(p, "bitsbridge_upstream_received_bytes_total");
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(10);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                int c = i;
                results.add(pool.submit(() -> {
                    go.await();
                    if (c % 2 == 0) {
                        RawHttp.Response r = get(p, "/data.bin");
                        return r.status() == 200 && Arrays.equals(DATA, r.body()) ? "ok" : "client " + c + ": " + r;
                    }
                    int first = c * 100_000;
                    int last = c == 9 ? DATA.length - 1 : first + 1_500_000;
                    RawHttp.Response r = get(p, "/data.bin", "Range: bytes=" + first + "-" + (c == 9 ? "" : last));
                    boolean ok = r.status() == 206
                            && r.header("Content-Range").equals("bytes " + first + "-" + last + "/" + DATA.length)
                            && Arrays.equals(Arrays.copyOfRange(DATA, first, last + 1), r.body());
                    return ok ? "ok" : "client " + c + ": " + r;
                }));
            }
            go.countDown();
            for (Future<String> f : results) {
                assertEquals("ok", f.get());
            }
        } finally {
            pool.shutdownNow();
        }
        awaitIdle(p);
        int slices = (DATA.length + SLICE - 1) / SLICE;
        CacheStats st = p.cache().stats();
        assertEquals(DATA.length, st.bytesFromS3(), "each byte fetched from S3 once");
        assertEquals(slices, st.misses(), "one fill per slice");
        assertEquals(0, st.bypassedCount());
        // S3's side: one probe (a 1-byte GET) and one ranged GET per slice, and the bytes on the
        // wire are the object once plus response heads.
        assertEquals(1 + slices, s3Gets(p));
        double wire = metric(p, "bitsbridge_upstream_received_bytes_total") - wireBefore;
        assertTrue(wire <= DATA.length * 1.02, "S3 bytes " + wire + " for an object of " + DATA.length);
    }

    @Test
    void aStalledClientDoesNotHoldUpAnotherReadingTheSameColdSlices() throws Exception {
        byte[] big = random(12 * 1024 * 1024 + 7, 15);
        fx.s3().put("cache", "shared.bin", big);
        BitsBridgeServer p = proxy(fx.newDir());
        try (RawHttp slow = RawHttp.connect(p.port(), 16 * 1024)) {
            slow.send(RawHttp.get("/shared.bin"));
            assertEquals(200, slow.readHead().status());
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            assertTrue(slow.readBody(got, 64 * 1024)); // then it stops reading

            RawHttp.Response fast = get(p, "/shared.bin");

            assertEquals(200, fast.status());
            assertArrayEquals(big, fast.body());
            assertTrue(slow.readBody(got, big.length - 64 * 1024), "the stalled client resumes and completes");
            assertArrayEquals(big, got.toByteArray());
        }
        awaitIdle(p);
        assertEquals(big.length, p.cache().stats().bytesFromS3(), "each slice fetched once for both");
    }

    @Test
    void aSecondFetchWithinTheValidityWindowAsksS3Nothing() throws Exception {
        BitsBridgeServer p = proxy(fx.newDir());
        assertArrayEquals(DATA, get(p, "/data.bin").body());
        awaitIdle(p);
        long gets = s3Gets(p);

        RawHttp.Response whole = get(p, "/data.bin");
        RawHttp.Response range = get(p, "/data.bin", "Range: bytes=300000-900000");
        RawHttp.Response head = RawHttp.exchange(p.port(), "HEAD /data.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        RawHttp.Response notModified = get(p, "/data.bin", "If-None-Match: " + whole.header("ETag"));

        assertEquals(200, whole.status());
        assertArrayEquals(DATA, whole.body());
        assertEquals(206, range.status());
        assertEquals("bytes 300000-900000/" + DATA.length, range.header("Content-Range"));
        assertArrayEquals(Arrays.copyOfRange(DATA, 300000, 900001), range.body());
        assertEquals(200, head.status());
        assertEquals(Long.toString(DATA.length), head.header("Content-Length"));
        assertEquals(304, notModified.status());
        awaitIdle(p);
        assertEquals(gets, s3Gets(p), "no S3 request for a warm object within the window");
        assertTrue(p.cache().stats().bytesFromCache() >= 2L * DATA.length);
        // What an operator sees (docs/cache.md#metrics).
        assertTrue(metric(p, "bitsbridge_cache_hits_total") >= DATA.length / SLICE);
        assertEquals(DATA.length, metric(p, "bitsbridge_cache_fetched_bytes_total"));
        assertTrue(metric(p, "bitsbridge_cache_served_bytes_total") >= 2.0 * DATA.length);
        assertTrue(metric(p, "bitsbridge_cache_size_bytes") > DATA.length);
    }

    @Test
    void aReplacedObjectIsServedAfterTheValidityWindowAndItsOldSlicesDropped() throws Exception {
        byte[] v1 = random(700_000, 11);
        byte[] v2 = random(700_000, 12);
        fx.s3().put("cache", "replaced.bin", v1);
        BitsBridgeServer p = proxy(fx.newDir());
        assertArrayEquals(v1, get(p, "/replaced.bin").body());
        fx.s3().put("cache", "replaced.bin", v2);

        // Within the window the cached version is what --cache-validity promises.
        assertArrayEquals(v1, get(p, "/replaced.bin").body());
        CLOCK.advance(Duration.ofSeconds(61));
        RawHttp.Response after = get(p, "/replaced.bin");
        RawHttp.Response range = get(p, "/replaced.bin", "Range: bytes=100-299999");

        assertEquals(200, after.status());
        assertArrayEquals(v2, after.body());
        assertArrayEquals(Arrays.copyOfRange(v2, 100, 300000), range.body());
        assertEquals(1, p.cache().stats().invalidations());
        awaitIdle(p);
        assertEquals(3, p.cache().slicesStored(), "only the new version's slices are left");
    }

    @Test
    void anObjectReplacedMidResponseEndsItShortWithOnlyOldBytes() throws Exception {
        byte[] old = random(16 * 1024 * 1024, 13);
        fx.s3().put("cache", "mid.bin", old);
        BitsBridgeServer p = proxy(fx.newDir());
        try (RawHttp c = RawHttp.connect(p.port(), 16 * 1024)) {
            c.send(RawHttp.get("/mid.bin"));
            RawHttp.Response head = c.readHead();
            assertEquals(200, head.status());
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            assertTrue(c.readBody(got, 256 * 1024));

            fx.s3().put("cache", "mid.bin", random(old.length, 14));
            c.timeout(Duration.ofSeconds(20));
            boolean complete = c.readBody(got, old.length - 256 * 1024);

            assertFalse(complete, "a response across two versions must not end cleanly");
            byte[] body = got.toByteArray();
            assertArrayEquals(Arrays.copyOf(old, body.length), body, "only bytes of the first version");
        }
        awaitIdle(p);
        CLOCK.advance(Duration.ofSeconds(61)); // the next request sees the new version whole
        assertArrayEquals(random(old.length, 14), get(p, "/mid.bin").body());
    }

    @Test
    void aCorruptOrTornSliceIsFetchedAgainAndNeverServed() throws Exception {
        Path dir = fx.newDir();
        BitsBridgeServer p = proxy(dir);
        assertArrayEquals(DATA, get(p, "/data.bin").body());
        awaitIdle(p);
        List<Path> files = sliceFiles(dir);
        assertEquals((DATA.length + SLICE - 1) / SLICE, files.size());
        Path flipped = files.get(2);
        try (RandomAccessFile f = new RandomAccessFile(flipped.toFile(), "rw")) {
            long at = f.length() - 1000; // a data byte of the last block
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x40);
        }
        Path torn = files.get(5);
        try (RandomAccessFile f = new RandomAccessFile(torn.toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }
        CLOCK.advance(Duration.ofMillis(OpenSlices.CONFIRM_MILLIS)); // kept files are looked at again after this
        long gets = s3Gets(p);

        RawHttp.Response r = get(p, "/data.bin");

        assertEquals(200, r.status());
        assertTrue(r.complete());
        assertArrayEquals(DATA, r.body());
        assertEquals(2, p.cache().stats().corruptSlices());
        awaitIdle(p);
        assertEquals(gets + 2, s3Gets(p), "the two bad slices fetched again, nothing else");
        assertArrayEquals(DATA, get(p, "/data.bin").body());
        assertEquals(gets + 2, s3Gets(p));
    }

    @Test
    void aRestartedProxyServesFromTheCacheItLeft() throws Exception {
        Path dir = fx.newDir();
        BitsBridgeServer first = proxy(dir);
        assertArrayEquals(DATA, get(first, "/data.bin").body());
        awaitIdle(first);
        first.stop(Duration.ZERO);

        BitsBridgeServer second = proxy(dir);
        RawHttp.Response r = get(second, "/data.bin", "Range: bytes=1000-2999999");

        assertEquals(206, r.status());
        assertArrayEquals(Arrays.copyOfRange(DATA, 1000, 3000000), r.body());
        awaitIdle(second);
        assertEquals(0, s3Gets(second), "served from the cache folder, within the validity window");
        assertEquals(0, second.cache().stats().misses());
        assertTrue(second.cache().stats().hits() > 0);

        CLOCK.advance(Duration.ofSeconds(61));
        assertArrayEquals(DATA, get(second, "/data.bin").body());
        awaitIdle(second);
        assertEquals(1, s3Gets(second), "after the window: one conditional probe, the slices still good");
    }

    @Test
    void theCacheNeverTakesMoreThanItsSize() throws Exception {
        Path dir = fx.newDir();
        int slice = 64 * 1024;
        long max = 8L * slice;
        BitsBridgeServer p = proxy(dir, max, slice);
        for (int i = 0; i < 6; i++) {
            byte[] obj = random(200_000 + i, 20 + i);
            fx.s3().put("cache", "bound-" + i + ".bin", obj);
            assertArrayEquals(obj, get(p, "/bound-" + i + ".bin").body());
            assertArrayEquals(Arrays.copyOfRange(obj, 5, 150_000),
                    get(p, "/bound-" + i + ".bin", "Range: bytes=5-149999").body());
            awaitIdle(p);
            assertTrue(sliceBytes(dir) <= max, "slice files " + sliceBytes(dir) + " > " + max);
            assertTrue(p.cache().sizeBytes() <= max);
        }
        assertTrue(p.cache().evictions() > 0);
        assertTrue(sliceBytes(dir) > max / 2, "the cache is used, not emptied");
    }

    @Test
    void aBrokenCacheFolderServesUncachedAndCorrect() throws Exception {
        Path dir = fx.newDir();
        BitsBridgeServer p = proxy(dir);
        // The slices folder becomes a plain file: no slice can be written from now on.
        try (Stream<Path> s = Files.walk(dir.resolve("slices"))) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
        Files.writeString(dir.resolve("slices"), "not a folder");

        RawHttp.Response whole = get(p, "/data.bin");
        RawHttp.Response range = get(p, "/data.bin", "Range: bytes=12345-1234567");

        assertEquals(200, whole.status());
        assertArrayEquals(DATA, whole.body());
        assertEquals(206, range.status());
        assertArrayEquals(Arrays.copyOfRange(DATA, 12345, 1234568), range.body());
        assertTrue(p.cache().stats().diskErrors() > 0);
    }
}
