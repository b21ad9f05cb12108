package dev.bitsbridge.proxy.load;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.testing.RawHttp;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.S3Server;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Many download tools at once: 200 concurrent keep-alive connections, each making 10 ranged GETs of
 * a multi-MiB object through the proxy to s3proxy, every byte checked. Then the JVM's open file
 * descriptors must come back to where they were: client connections all closed, and pooled
 * upstream connections closed by the pool's idle timeout (15 s), so nothing leaks.
 *
 * <p>Figures are logged (logger {@code bitsbridge.load}) for docs/reliability.md; nothing here
 * asserts on speed.
 */
class ConcurrentRangeLoadTest {

    private static final Logger log = LoggerFactory.getLogger("bitsbridge.load");
    private static final int CONNECTIONS = 200;
    private static final int REQUESTS_EACH = 10;
    private static final int SIZE = 8 * 1024 * 1024;

    @Test
    void twoHundredConnectionsOfTenRangesEachAllSucceedAndLeakNothing() throws Exception {
        byte[] data = new byte[SIZE];
        new Random(42).nextBytes(data);
        try (S3Server s3 = new S3Server()) {
            s3.createBucket("load");
            s3.put("load", "big.bin", data);
            BitsBridgeServer proxy = new BitsBridgeServer(ProxyConfig.builder().port(0).bucket("load")
                    .endpoint(s3.endpoint())
                // 200 connections, all from 127.0.0.1: above the default per-address cap of 64.
                .security(dev.bitsbridge.proxy.config.SecurityConfig.DEFAULTS.withMaxConnectionsPerClient(400)).build(), s3.credentials()).start();
            try {
                // Warm up once so the baseline includes what stays (loaded classes' jars, one pool).
                assertEquals(206, RawHttp.exchange(proxy.port(), RawHttp.get("/big.bin", "Range: bytes=0-0")).status());
                long baseline = openFds();

                AtomicInteger ok = new AtomicInteger();
                ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
                CountDownLatch go = new CountDownLatch(1);
                ExecutorService pool = Executors.newFixedThreadPool(CONNECTIONS);
                for (int i = 0; i < CONNECTIONS; i++) {
                    long seed = i;
                    pool.execute(() -> {
                        try {
                            go.await();
                            runClient(proxy.port(), data, new Random(seed), ok);
                        } catch (Throwable t) {
                            errors.add(t.toString());
                        }
                    });
                }
                long t0 = System.nanoTime();
                go.countDown();
                pool.shutdown();
                assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS), "clients did not finish");
                long ms = (System.nanoTime() - t0) / 1_000_000;
                long afterLoad = openFds();
                log.info("load: {} connections x {} ranges = {} requests ok, {} errors, {} ms; fds baseline {}, "
                        + "right after {}, upstream connections opened {}", CONNECTIONS, REQUESTS_EACH, ok.get(),
                        errors.size(), ms, baseline, afterLoad, proxy.upstreamConnectionsOpened());

                assertTrue(errors.isEmpty(), errors.size() + " errors, first: " + errors.peek());
                assertEquals(CONNECTIONS * REQUESTS_EACH, ok.get());

                // Client connections close at once; pooled upstream ones after their 15 s idle
                // timeout (both ends are in this JVM: the proxy's and s3proxy's). A small margin
                // covers JDK/Jetty housekeeping fds.
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                long fds;
                while ((fds = openFds()) > baseline + 4 && System.nanoTime() < deadline) {
                    Thread.sleep(250); // polling a condition, bounded by the deadline
                }
                long settleMs = (System.nanoTime() - t0) / 1_000_000 - ms;
                log.info("load: fds back to {} (baseline {}) {} ms after the load; client connections open {}",
                        fds, baseline, settleMs, proxy.openConnections());
                assertTrue(fds <= baseline + 4, "fds " + fds + " vs baseline " + baseline);
                assertEquals(0, proxy.openConnections());
            } finally {
                proxy.stop(Duration.ZERO);
            }
        }
    }

    private static void runClient(int port, byte[] data, Random rnd, AtomicInteger ok) throws IOException {
        try (RawHttp c = RawHttp.connect(port)) {
            for (int r = 0; r < REQUESTS_EACH; r++) {
                int first = rnd.nextInt(SIZE);
                int last = Math.min(SIZE - 1, first + rnd.nextInt(64 * 1024));
                c.send(RawHttp.get("/big.bin", "Range: bytes=" + first + "-" + last, "User-Agent: load/1"));
                RawHttp.Response resp = c.readResponse(false);
                if (resp.status() != 206) {
                    throw new AssertionError("status " + resp);
                }
                assertEquals("bytes " + first + "-" + last + "/" + SIZE, resp.header("Content-Range"));
                assertArrayEquals(Arrays.copyOfRange(data, first, last + 1), resp.body());
                ok.incrementAndGet();
            }
        }
    }

    static long openFds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }
}
