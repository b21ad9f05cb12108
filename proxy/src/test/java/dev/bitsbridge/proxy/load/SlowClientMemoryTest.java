package dev.bitsbridge.proxy.load;

import static dev.bitsbridge.proxy.testing.BufferMemory.jdkDirect;
import static dev.bitsbridge.proxy.testing.BufferMemory.nettyUsed;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.testing.Await;
import dev.bitsbridge.proxy.testing.RawHttp;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.S3Server;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * 100 clients start downloading a 200 MiB object and then stop reading (a stalled BITS job, a
 * paused browser). A proxy that kept reading from S3 would buffer up to 100 x 200 MiB; this one
 * stops reading each upstream once its client's write buffer is over the high-water mark, so the
 * memory it holds must stay small. Measured through Netty's allocator (everything the proxy
 * buffers) and the JVM's direct buffer pool, and asserted well below what unbounded buffering
 * would take. The test never waits for an OutOfMemoryError.
 */
class SlowClientMemoryTest {

    private static final Logger log = LoggerFactory.getLogger("bitsbridge.load");
    private static final long SIZE = 200L * 1024 * 1024;
    private static final int CLIENTS = 100;
    private static final long BOUND = 256L * 1024 * 1024;

    @Test
    void hundredStalledClientsOnA200MiBObjectKeepBufferedBytesBounded() throws Exception {
        Path file = Files.createTempFile("bitsbridge-200mib", ".bin");
        byte[] block = new byte[1024 * 1024 + 13]; // odd length: no two MiB of the file alike
        new Random(5).nextBytes(block);
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long written = 0; written < SIZE; written += block.length) {
                out.write(block, 0, (int) Math.min(block.length, SIZE - written));
            }
        }
        try (S3Server s3 = new S3Server()) {
            s3.createBucket("mem");
            s3.put("mem", "huge.bin", file);
            s3.put("mem", "small.bin", new byte[] {1, 2, 3});
            Files.delete(file);
            BitsBridgeServer proxy = new BitsBridgeServer(ProxyConfig.builder().port(0).bucket("mem")
                    // A hundred clients, all from 127.0.0.1: above the default per-address cap of 64.
                    .security(dev.bitsbridge.proxy.config.SecurityConfig.DEFAULTS.withMaxConnectionsPerClient(200))
                    .endpoint(s3.endpoint()).build(), s3.credentials()).start();
            List<RawHttp> clients = new ArrayList<>();
            try {
                long before = nettyUsed();
                for (int i = 0; i < CLIENTS; i++) {
                    RawHttp c = RawHttp.connect(proxy.port(), 16 * 1024);
                    clients.add(c);
                    c.send(RawHttp.get("/huge.bin"));
                }
                for (RawHttp c : clients) {
                    RawHttp.Response head = c.readHead();
                    assertEquals(200, head.status(), head.toString());
                    assertEquals(SIZE, head.contentLength());
                    ByteArrayOutputStream first = new ByteArrayOutputStream();
                    assertTrue(c.readBody(first, 64 * 1024));
                    assertArrayEquals(java.util.Arrays.copyOf(block, 64 * 1024), first.toByteArray());
                    // ...and from here on the client reads nothing more.
                }

                // Let the proxy push all it will: sample until usage stops growing (bounded wait).
                long peak = 0;
                long peakJdkDirect = 0;
                long lastChange = System.nanoTime();
                long lastValue = -1;
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (System.nanoTime() < deadline
                        && System.nanoTime() - lastChange < Duration.ofSeconds(2).toNanos()) {
                    long used = nettyUsed();
                    peak = Math.max(peak, used);
                    peakJdkDirect = Math.max(peakJdkDirect, jdkDirect());
                    if (Math.abs(used - lastValue) > 1024 * 1024) {
                        lastValue = used;
                        lastChange = System.nanoTime();
                    }
                    Thread.sleep(100); // sampling interval, bounded by the deadline
                }
                assertEquals(CLIENTS, proxy.openConnections(), "stalled clients are kept, not dropped");
                // The stalled transfers do not stop the proxy serving others.
                RawHttp.Response small = RawHttp.exchange(proxy.port(), RawHttp.get("/small.bin"));
                assertArrayEquals(new byte[] {1, 2, 3}, small.body());

                log.info("memory: {} stalled clients on a {} MiB object: Netty allocator used {} MiB before, peak {} MiB"
                        + " ({} KiB per client); JDK direct buffers peak {} MiB; unbounded would be {} MiB",
                        CLIENTS, SIZE >> 20, before >> 20, peak >> 20, (peak - before) / CLIENTS >> 10,
                        peakJdkDirect >> 20, (CLIENTS * SIZE) >> 20);
                assertTrue(peak < BOUND, "Netty allocator peak " + (peak >> 20) + " MiB");
                assertTrue(peakJdkDirect < BOUND, "JDK direct peak " + (peakJdkDirect >> 20) + " MiB");
            } finally {
                for (RawHttp c : clients) {
                    c.close();
                }
            }
            // Clients gone: their transfers are cancelled and the connections closed.
            Await.until(Duration.ofSeconds(10), () -> proxy.openConnections() == 0,
                    () -> proxy.openConnections() + " connections still open");
            proxy.stop(Duration.ZERO);
        }
    }
}
