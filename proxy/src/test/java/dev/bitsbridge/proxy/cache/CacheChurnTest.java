package dev.bitsbridge.proxy.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.config.CacheConfig;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.ProxyFixture;
import dev.bitsbridge.proxy.testing.RawHttp;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Many clients, random ranges and whole GETs over several objects, through a cache far too small
 * for them (8 slices): slices are filled, collapsed onto, read and evicted all at once. Every
 * answer must be byte-exact and the slice files must stay within the size.
 */
class CacheChurnTest {

    private static final int SLICE = 64 * 1024;
    private static final byte[][] OBJECTS = {random(700_000, 31), random(333_333, 32), random(1_000_001, 33)};

    @RegisterExtension
    static final ProxyFixture fx = ProxyFixture.builder().bucket("churn").object("o0", OBJECTS[0])
            .object("o1", OBJECTS[1]).object("o2", OBJECTS[2]).withoutProxy().build();

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void concurrentRangesThroughATinyCacheAreExactAndTheBoundHolds() throws Exception {
        Path dir = fx.newDir();
        long max = 8L * SLICE + 8 * 1024;
        BitsBridgeServer p = fx.startProxy(b -> b.cache(CacheConfig.OFF.withDir(dir).withMaxBytes(max)
                .withSliceSize(SLICE)));
        ExecutorService pool = Executors.newFixedThreadPool(12);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int t = 0; t < 12; t++) {
                long seed = t;
                results.add(pool.submit(() -> {
                    Random r = new Random(seed);
                    for (int i = 0; i < 15; i++) {
                        int o = r.nextInt(OBJECTS.length);
                        byte[] data = OBJECTS[o];
                        if (r.nextInt(5) == 0) {
                            RawHttp.Response w = RawHttp.exchange(p.port(), RawHttp.get("/o" + o));
                            if (w.status() != 200 || !Arrays.equals(data, w.body())) {
                                return "whole o" + o + ": " + w;
                            }
                            continue;
                        }
                        int first = r.nextInt(data.length);
                        int last = Math.min(data.length - 1, first + r.nextInt(3 * SLICE));
                        RawHttp.Response g = RawHttp.exchange(p.port(),
                                RawHttp.get("/o" + o, "Range: bytes=" + first + "-" + last));
                        if (g.status() != 206 || !Arrays.equals(Arrays.copyOfRange(data, first, last + 1), g.body())) {
                            return "o" + o + " " + first + "-" + last + ": " + g;
                        }
                    }
                    return "ok";
                }));
            }
            for (Future<String> f : results) {
                assertEquals("ok", f.get());
            }
        } finally {
            pool.shutdownNow();
        }
        DiskCacheTest.awaitIdle(p);
        assertTrue(DiskCacheTest.sliceBytes(dir) <= max, DiskCacheTest.sliceBytes(dir) + " > " + max);
        assertTrue(p.cache().evictions() > 0);
        assertTrue(p.cache().stats().hits() + p.cache().stats().collapsedCount() > 0);
    }
}
