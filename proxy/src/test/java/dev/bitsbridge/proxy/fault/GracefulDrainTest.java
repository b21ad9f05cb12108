package dev.bitsbridge.proxy.fault;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.testing.ProxyFixture;
import dev.bitsbridge.proxy.testing.RawHttp;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Stopping with downloads in flight: new connections are refused at once, a transfer in progress
 * finishes with every byte (within the drain timeout), and a client that stopped reading is cut
 * off when the drain timeout expires, so stop always returns.
 */
class GracefulDrainTest {

    private static final int SIZE = 16 * 1024 * 1024;
    private static final byte[] DATA = UpstreamFaultTest.random(SIZE, 13);

    /** A proxy per test: the tests stop it. */
    @RegisterExtension
    static final ProxyFixture fx = ProxyFixture.builder().bucket("drain").object("big.bin", DATA).proxyPerTest()
            .build();

    @Test
    void inFlightDownloadCompletesWhileNewConnectionsAreRefused() throws Exception {
        int port = fx.port();
        try (RawHttp c = RawHttp.connect(port, 16 * 1024)) {
            c.send(RawHttp.get("/big.bin"));
            RawHttp.Response head = c.readHead();
            assertEquals(200, head.status());
            ByteArrayOutputStream got = new ByteArrayOutputStream(SIZE);
            slowRead(c, got, 1024 * 1024);

            long stopCalled = System.nanoTime();
            CompletableFuture<Long> stopped = CompletableFuture.supplyAsync(() -> {
                fx.proxy().stop(Duration.ofSeconds(10));
                return System.nanoTime();
            });
            assertTrue(refusesWithin(port, Duration.ofSeconds(1)), "still accepting after stop()");

            slowRead(c, got, SIZE - got.size());
            assertArrayEquals(DATA, got.toByteArray(), "the transfer in flight is completed exactly");
            assertEquals(0, c.awaitClose(Duration.ofSeconds(5)), "then the connection is closed, not kept alive");

            long stopMs = TimeUnit.NANOSECONDS.toMillis(stopped.get(10, TimeUnit.SECONDS) - stopCalled);
            // Most of the 16 MiB was still to be sent when stop() was called, at the client's pace.
            assertTrue(stopMs >= 300 && stopMs < 10_000, "stop returned after " + stopMs + " ms");
        }
    }

    @Test
    void stalledClientIsCutOffWhenTheDrainTimeoutExpires() throws Exception {
        try (RawHttp c = RawHttp.connect(fx.port(), 16 * 1024)) {
            c.send(RawHttp.get("/big.bin"));
            assertEquals(200, c.readHead().status());
            assertTrue(c.readBody(new ByteArrayOutputStream(), 64 * 1024));
            // ...and the client reads nothing more.

            long t0 = System.nanoTime();
            fx.proxy().stop(Duration.ofSeconds(1));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(ms >= 900 && ms < 5000, "stop returned after " + ms + " ms");

            long rest = c.awaitClose(Duration.ofSeconds(5));
            assertTrue(64 * 1024 + rest < SIZE, "the connection was closed before the body was complete");
        }
    }

    /** Polls until a connection attempt is refused (or accepted and closed at once). */
    private static boolean refusesWithin(int port, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        do {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                s.setSoTimeout(200);
                try {
                    if (s.getInputStream().read() < 0) {
                        return true; // accepted by the closing listener's backlog, then closed
                    }
                } catch (IOException e) {
                    // no answer within 200 ms (still accepting, idle) or reset: try again
                }
            } catch (ConnectException e) {
                return true;
            } catch (IOException e) {
                // retry
            }
            Thread.sleep(20); // polling interval, bounded by the deadline
        } while (System.nanoTime() < deadline);
        return false;
    }

    /** Reads {@code n} bytes at about 6 MiB/s: a slow client, but not a stalled one. */
    private static void slowRead(RawHttp c, ByteArrayOutputStream sink, int n) throws IOException, InterruptedException {
        byte[] buf = new byte[64 * 1024];
        int left = n;
        int sincePause = 0;
        while (left > 0) {
            int r = c.input().read(buf, 0, Math.min(buf.length, left));
            if (r < 0) {
                throw new IOException("closed after " + sink.size() + " bytes");
            }
            sink.write(buf, 0, r);
            left -= r;
            sincePause += r;
            if (sincePause >= buf.length) {
                sincePause = 0;
                Thread.sleep(10); // pacing the reader, not waiting for a condition
            }
        }
    }
}
