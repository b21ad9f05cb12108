package dev.bitsbridge.proxy.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.config.CacheConfig;
import dev.bitsbridge.proxy.config.SecurityConfig;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.BufferMemory;
import dev.bitsbridge.proxy.testing.ProxyFixture;
import dev.bitsbridge.proxy.testing.RawHttp;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Hits are read from disk one checked block at a time, and the next only while the client can
 * take it: 20 clients that stop reading a warm 24 MiB object hold a bounded amount of the
 * proxy's buffers (Netty's allocator), far below the 480 MiB reading ahead of them would take.
 */
class CacheMemoryTest {

    private static final byte[] DATA = new byte[24 * 1024 * 1024];
    private static final int CLIENTS = 20;

    static {
        new Random(3).nextBytes(DATA);
    }

    @RegisterExtension
    static final ProxyFixture fx = ProxyFixture.builder().bucket("mem").object("warm.bin", DATA).withoutProxy()
            .build();

    @Test
    void stalledClientsOnAWarmObjectKeepBufferedBytesBounded() throws Exception {
        java.nio.file.Path dir = fx.newDir();
        BitsBridgeServer p = fx.startProxy(b -> b.cache(CacheConfig.OFF.withDir(dir))
                .security(SecurityConfig.DEFAULTS.withMaxConnectionsPerClient(100)));
        assertArrayEquals(DATA, RawHttp.exchange(p.port(), RawHttp.get("/warm.bin")).body());
        long misses = p.cache().stats().misses();
        long before = BufferMemory.nettyUsed();
        List<RawHttp> clients = new ArrayList<>();
        try (BufferMemory.Peak peak = new BufferMemory.Peak()) {
            for (int i = 0; i < CLIENTS; i++) {
                RawHttp c = RawHttp.connect(p.port(), 16 * 1024);
                clients.add(c);
                c.send(RawHttp.get("/warm.bin"));
            }
            for (RawHttp c : clients) {
                assertEquals(200, c.readHead().status());
                ByteArrayOutputStream first = new ByteArrayOutputStream();
                assertTrue(c.readBody(first, 64 * 1024));
                assertArrayEquals(Arrays.copyOf(DATA, 64 * 1024), first.toByteArray());
                // ...and from here on the client reads nothing more.
            }
            Thread.sleep(2000); // sampling while the proxy pushes all it will to the stalled clients
            long used = peak.bytes() - before;
            org.slf4j.LoggerFactory.getLogger("bitsbridge.load").info("memory: {} stalled clients on a warm {} MiB"
                    + " object: Netty allocator grew by {} MiB", CLIENTS, DATA.length >> 20, used >> 20);
            assertTrue(used < 64L * 1024 * 1024, "Netty allocator grew by " + (used >> 20) + " MiB for " + CLIENTS
                    + " stalled clients");
            assertEquals(misses, p.cache().stats().misses(), "all from the warm cache");
        } finally {
            for (RawHttp c : clients) {
                c.close();
            }
        }
    }
}
