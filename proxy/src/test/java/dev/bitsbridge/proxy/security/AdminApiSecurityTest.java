package dev.bitsbridge.proxy.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.testing.RawHttp;
import dev.bitsbridge.proxy.testing.RawHttp.Response;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.S3Server;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #15, findings 1, 4, 5 and 6, reproduced against a proxy in front of s3proxy: the admin API
 * needs the admin token whatever the peer address (a TCP forwarder on the same host made every
 * client local), never answers with CORS headers, takes JSON bodies only, and objects come with
 * nosniff and a sandbox CSP.
 */
class AdminApiSecurityTest {

    private static final String ORIGIN = "https://portal.example.com";
    private static S3Server s3;

    @TempDir
    Path state;
    private BitsBridgeServer proxy;

    @BeforeAll
    static void startS3() throws Exception {
        s3 = new S3Server();
        s3.createBucket("sec");
        s3.put("sec", "page.html", "<script>fetch('/_bitsbridge/shares',{method:'POST'})</script>"
                .getBytes(StandardCharsets.UTF_8), "text/html");
    }

    @AfterAll
    static void stopS3() throws Exception {
        s3.close();
    }

    @BeforeEach
    void start() throws Exception {
        proxy = new BitsBridgeServer(ProxyConfig.builder().port(0).bucket("sec").endpoint(s3.endpoint())
                .stateDir(state).requireToken(true).corsOrigins(List.of(ORIGIN)).build(), s3.credentials()).start();
    }

    @AfterEach
    void stop() {
        proxy.close();
    }

    private static String post(String path, String contentType, String body, String... extra) {
        StringBuilder sb = new StringBuilder("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        if (contentType != null) {
            sb.append("Content-Type: ").append(contentType).append("\r\n");
        }
        for (String h : extra) {
            sb.append(h).append("\r\n");
        }
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        return sb.append("Content-Length: ").append(b.length).append("\r\n\r\n").append(body).toString();
    }

    private static final String SHARE = "{\"key\": \"page.html\", \"expires\": \"366d\"}";

    @Test
    void aClientBehindALocalForwarderCannotMintShareLinksOrReadStatus() throws Exception {
        try (Forwarder fwd = new Forwarder(proxy.port())) {
            // The forwarder's connection to the proxy comes from 127.0.0.1, as from a TLS terminator.
            Response mint = RawHttp.exchange(fwd.port(), post("/_bitsbridge/shares", "application/json", SHARE));
            assertEquals(401, mint.status(), mint.toString());
            assertTrue(mint.text().contains("admin token"), mint.text());
            assertEquals("Bearer realm=\"bitsbridge-admin\"", mint.header("WWW-Authenticate"));
            Response status = RawHttp.exchange(fwd.port(), RawHttp.get("/_bitsbridge/status.json"));
            assertEquals(401, status.status());
            assertEquals(401, RawHttp.exchange(fwd.port(), RawHttp.get("/_bitsbridge/metrics")).status());
            Response wrong = RawHttp.exchange(fwd.port(), post("/_bitsbridge/shares", "application/json", SHARE,
                    "Authorization: Bearer " + "x".repeat(43)));
            assertEquals(403, wrong.status());
            assertTrue(wrong.text().contains("admin token is not valid"), wrong.text());
            // Probes stay open.
            assertEquals(200, RawHttp.exchange(fwd.port(), RawHttp.get("/_bitsbridge/health")).status());
        }
    }

    @Test
    void theAdminTokenFileGrantsAccessAndIsOwnerOnly() throws Exception {
        Path file = state.resolve("admin-token");
        String token = Files.readString(file).trim();
        assertEquals(proxy.adminToken(), token);
        if (Files.getFileStore(file).supportsFileAttributeView("posix")) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        }
        Response mint = RawHttp.exchange(proxy.port(), post("/_bitsbridge/shares", "application/json", SHARE,
                "Authorization: Bearer " + token));
        assertEquals(201, mint.status(), mint.text());
        Response status = RawHttp.exchange(proxy.port(), RawHttp.get("/_bitsbridge/status.json",
                "Authorization: Bearer " + token));
        assertEquals(200, status.status());
    }

    @Test
    void aSimpleCrossSitePostIsRefusedAndAdminAnswersCarryNoCors() throws Exception {
        String token = proxy.adminToken();
        // text/plain is what a page can send without a preflight.
        Response plain = RawHttp.exchange(proxy.port(), post("/_bitsbridge/shares", "text/plain", SHARE,
                "Authorization: Bearer " + token));
        assertEquals(415, plain.status());
        assertTrue(plain.text().contains("application/json"), plain.text());
        // From a listed origin: refused outright on the proxy's own endpoints, and no CORS header.
        Response fromPage = RawHttp.exchange(proxy.port(), post("/_bitsbridge/shares", "application/json", SHARE,
                "Authorization: Bearer " + token, "Origin: " + ORIGIN));
        assertEquals(403, fromPage.status());
        assertNull(fromPage.header("Access-Control-Allow-Origin"));
        Response preflight = RawHttp.exchange(proxy.port(), "OPTIONS /_bitsbridge/shares HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Origin: " + ORIGIN + "\r\nAccess-Control-Request-Method: POST\r\n\r\n");
        assertNull(preflight.header("Access-Control-Allow-Origin"), preflight.toString());
        // Objects still get CORS for the listed origin (the share token is checked first: 401).
        Response object = RawHttp.exchange(proxy.port(), RawHttp.get("/page.html", "Origin: " + ORIGIN));
        assertEquals(ORIGIN, object.header("Access-Control-Allow-Origin"));
    }

    @Test
    void anHtmlObjectIsServedInertWithNosniffAndASandbox() throws Exception {
        String token = proxy.adminToken();
        Response mint = RawHttp.exchange(proxy.port(), post("/_bitsbridge/shares", "application/json",
                "{\"key\": \"page.html\", \"expires\": \"1h\"}", "Authorization: Bearer " + token));
        assertEquals(201, mint.status(), mint.text());
        String body = new String(mint.body(), StandardCharsets.UTF_8);
        int at = body.indexOf("\"token\":\"") + "\"token\":\"".length();
        String share = body.substring(at, body.indexOf('"', at));
        Response r = RawHttp.exchange(proxy.port(), RawHttp.get("/page.html?token=" + share));
        assertEquals(200, r.status(), r.toString());
        assertTrue(r.header("Content-Type").startsWith("text/html"));
        assertEquals("nosniff", r.header("X-Content-Type-Options"));
        assertEquals("sandbox", r.header("Content-Security-Policy"));
        // Errors too.
        Response missing = RawHttp.exchange(proxy.port(), RawHttp.get("/page.html"));
        assertEquals("nosniff", missing.header("X-Content-Type-Options"));
        assertEquals("sandbox", missing.header("Content-Security-Policy"));
    }

    /** A plain TCP forwarder on loopback: what a local TLS terminator or port forward amounts to. */
    static final class Forwarder implements AutoCloseable {
        private final ServerSocket server;
        private final Thread acceptor;

        Forwarder(int target) throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            acceptor = new Thread(() -> {
                try {
                    while (true) {
                        Socket in = server.accept();
                        Socket out = new Socket(InetAddress.getLoopbackAddress(), target);
                        pipe(in, out);
                        pipe(out, in);
                    }
                } catch (IOException e) {
                    // closed
                }
            }, "forwarder");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        private static void pipe(Socket from, Socket to) {
            Thread t = new Thread(() -> {
                try (InputStream i = from.getInputStream(); OutputStream o = to.getOutputStream()) {
                    i.transferTo(o);
                } catch (IOException e) {
                    // one side closed
                } finally {
                    try {
                        to.close();
                        from.close();
                    } catch (IOException e) {
                        // ignore
                    }
                }
            }, "forwarder-pipe");
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
