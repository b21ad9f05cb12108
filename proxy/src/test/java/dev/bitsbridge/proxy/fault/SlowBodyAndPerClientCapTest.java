package dev.bitsbridge.proxy.fault;

import dev.bitsbridge.proxy.testing.RawHttp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.config.SecurityConfig;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #15, finding 8: a request body trickled one byte at a time held its connection until the
 * idle timeout, and 20 such sockets filled {@code --max-connections 20}. Now the body must keep a
 * minimum rate (408), and one address gets its own connection cap (503 for it only).
 */
class SlowBodyAndPerClientCapTest {

    @TempDir
    Path state;

    @Test
    void aTrickledBodyGets408WithinAboutTwoWindows() throws Exception {
        SecurityConfig sec = SecurityConfig.DEFAULTS.withBodyMinRate(1024, Duration.ofSeconds(1));
        try (BitsBridgeServer proxy = new BitsBridgeServer(ProxyConfig.builder().port(0).stateDir(state)
                .idleTimeout(Duration.ofSeconds(60)).security(sec).build(), null).start();
                RawHttp c = RawHttp.connect(proxy.port())) {
            c.send("POST /_bitsbridge/links HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                    + proxy.adminToken() + "\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n");
            long t0 = System.nanoTime();
            Thread drip = new Thread(() -> {
                try {
                    for (int i = 0; i < 500; i++) {
                        c.send(new byte[] {' '});
                        Thread.sleep(300); // the attack: far below 1 KiB per second
                    }
                } catch (IOException | InterruptedException e) {
                    // closed by the proxy: expected
                }
            }, "drip");
            drip.setDaemon(true);
            drip.start();
            RawHttp.Response r = c.readResponse(false);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(408, r.status(), r.toString());
            assertTrue(r.text().contains("too slowly"), r.text());
            assertTrue(ms < 4000, "408 after " + ms + " ms");
            c.awaitClose(Duration.ofSeconds(2));
            drip.interrupt();
        }
    }

    @Test
    void oneAddressOverItsCapGets503WhileAnotherIsServed() throws Exception {
        SecurityConfig sec = SecurityConfig.DEFAULTS.withMaxConnectionsPerClient(3);
        List<Socket> held = new ArrayList<>();
        try (BitsBridgeServer proxy = new BitsBridgeServer(ProxyConfig.builder().port(0).maxConnections(20)
                .security(sec).build(), null).start()) {
            for (int i = 0; i < 3; i++) {
                held.add(connectFrom("127.0.0.1", proxy.port()));
            }
            // Each held connection is open on the proxy once a request on it was answered.
            for (Socket s : held) {
                assertEquals(200, exchange(s, "/_bitsbridge/health"));
            }
            try (Socket fourth = connectFrom("127.0.0.1", proxy.port())) {
                // The answer comes at once, before any request (one sent now could meet a reset).
                String answer = new String(fourth.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                assertTrue(answer.startsWith("HTTP/1.1 503"), answer);
                assertTrue(answer.contains("too many connections from your address"), answer);
            }
            // Another client address (all of 127/8 is loopback on Linux) is still served.
            try (Socket other = connectFrom("127.0.0.2", proxy.port())) {
                assertEquals(200, exchange(other, "/_bitsbridge/health"));
            }
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }

    private static Socket connectFrom(String local, int port) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(InetAddress.getByName(local), 0));
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
        s.setSoTimeout(10_000);
        return s;
    }

    /** Sends a GET and reads the status line and the (small) body by its Content-Length. */
    private static int exchange(Socket s, String path) throws IOException {
        s.getOutputStream().write(RawHttp.get(path).getBytes(StandardCharsets.US_ASCII));
        InputStream in = s.getInputStream();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed: " + head);
            }
            head.append((char) b);
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)content-length: (\\d+)").matcher(head);
        int len = m.find() ? Integer.parseInt(m.group(1)) : 0;
        in.readNBytes(len);
        return Integer.parseInt(head.substring(9, 12));
    }
}
