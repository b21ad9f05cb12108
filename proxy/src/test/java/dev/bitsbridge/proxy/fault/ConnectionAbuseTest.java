package dev.bitsbridge.proxy.fault;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.testing.ProxyFixture;
import dev.bitsbridge.proxy.testing.RawHttp;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Abuse of connections rather than of requests: a slow-loris head, a connection left idle, more
 * connections than allowed. Each is cut off by the proxy within its configured bound, and the
 * proxy serves a normal GET afterwards.
 */
class ConnectionAbuseTest {

    private static final byte[] DATA = UpstreamFaultTest.random(50_000, 11);
    private static final Duration HEAD_TIMEOUT = Duration.ofSeconds(1);
    private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(3);

    @RegisterExtension
    static final ProxyFixture fx = ProxyFixture.builder().bucket("bkt").object("obj", DATA)
            .config(b -> b.requestHeaderTimeout(HEAD_TIMEOUT).idleTimeout(IDLE_TIMEOUT).maxConnections(5)).build();

    @AfterEach
    void stillServesANormalGet() throws Exception {
        // Connections closed by the test are counted down on the proxy's loop: allow it a moment.
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        RawHttp.Response r;
        do {
            r = RawHttp.exchange(fx.port(), RawHttp.get("/obj"));
        } while (r.status() == 503 && System.nanoTime() < deadline);
        assertEquals(200, r.status(), r.toString());
        assertArrayEquals(DATA, r.body());
    }

    @Test
    void slowLorisGets408AndIsClosedWithinTheHeadTimeout() throws Exception {
        byte[] head = RawHttp.get("/obj", "X-Slow: " + "z".repeat(100)).getBytes(StandardCharsets.US_ASCII);
        try (RawHttp c = RawHttp.connect(fx.port())) {
            long t0 = System.nanoTime();
            Thread dribble = new Thread(() -> {
                try {
                    for (byte b : head) {
                        c.send(new byte[] {b});
                        Thread.sleep(200); // the attack itself: one byte per 200 ms
                    }
                } catch (IOException | InterruptedException e) {
                    // the proxy closed the connection: what we expect
                }
            }, "slow-loris");
            dribble.setDaemon(true);
            dribble.start();

            RawHttp.Response r = c.readResponse(false);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(408, r.status(), r.toString());
            assertEquals("close", r.header("Connection"));
            c.awaitClose(Duration.ofSeconds(2));
            assertTrue(ms >= HEAD_TIMEOUT.toMillis() - 100 && ms < HEAD_TIMEOUT.toMillis() + 1500,
                    "408 after " + ms + " ms");
            dribble.interrupt();
        }
    }

    @Test
    void idleConnectionsAreClosedAfterTheIdleTimeout() throws Exception {
        try (RawHttp silent = RawHttp.connect(fx.port()); RawHttp used = RawHttp.connect(fx.port())) {
            long t0 = System.nanoTime();
            // One connection never sends a byte; the other makes a request, then goes quiet.
            used.send(RawHttp.get("/obj"));
            RawHttp.Response r = used.readResponse(false);
            assertEquals("keep-alive", r.header("Connection"));
            assertArrayEquals(DATA, r.body());

            assertEquals(0, silent.awaitClose(IDLE_TIMEOUT.plusSeconds(2)));
            long silentMs = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(0, used.awaitClose(IDLE_TIMEOUT.plusSeconds(2)));
            assertTrue(silentMs >= IDLE_TIMEOUT.toMillis() - 100, "closed after " + silentMs + " ms");
        }
    }

    @Test
    void connectionOverTheCapGets503AndIsClosed() throws Exception {
        List<RawHttp> open = new ArrayList<>();
        try {
            for (int i = 0; i < 5; i++) {
                RawHttp c = RawHttp.connect(fx.port());
                open.add(c);
                c.send(RawHttp.get("/obj", "Range: bytes=0-9"));
                assertEquals(206, c.readResponse(false).status()); // accepted, and still open (keep-alive)
            }
            try (RawHttp sixth = RawHttp.connect(fx.port())) {
                sixth.send(RawHttp.get("/obj"));
                RawHttp.Response r = sixth.readResponse(false);
                assertEquals(503, r.status(), r.toString());
                assertEquals("close", r.header("Connection"));
                assertTrue(r.header("Retry-After") != null);
                sixth.awaitClose(Duration.ofSeconds(2));
            }
            // The five admitted connections are unaffected.
            RawHttp first = open.get(0);
            first.send(RawHttp.get("/obj", "Range: bytes=10-19"));
            RawHttp.Response r = first.readResponse(false);
            assertEquals(206, r.status());
            assertArrayEquals(java.util.Arrays.copyOfRange(DATA, 10, 20), r.body());
        } finally {
            for (RawHttp c : open) {
                c.close();
            }
        }
    }
}
