package dev.bitsbridge.proxy.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.testing.RawHttp;
import dev.bitsbridge.proxy.testing.RawHttp.Response;
import dev.bitsbridge.proxy.testing.BitsUploadClient;
import dev.bitsbridge.proxy.testing.S3Server;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proxy's own HTTP, whatever the object (RFC 9110): OPTIONS, Allow, Expect: 100-continue and
 * Date on the answers the proxy makes up itself. Over real sockets, s3proxy behind.
 */
class ProxyHttpTest {

    static final byte[] TEXT = "0123456789abcdefghijklmnopqrstuvwxyz".getBytes(StandardCharsets.US_ASCII);
    static S3Server s3;
    static BitsBridgeServer proxy;
    static BitsBridgeServer uploading;
    @TempDir
    static Path state;

    @BeforeAll
    static void start() throws Exception {
        s3 = new S3Server();
        s3.createBucket("files");
        s3.put("files", "text.txt", TEXT, "text/plain");
        proxy = new BitsBridgeServer(ProxyConfig.builder().port(0).bucket("files").endpoint(s3.endpoint()).build(),
                s3.credentials()).start();
        uploading = new BitsBridgeServer(ProxyConfig.builder().port(0).bucket("files").endpoint(s3.endpoint())
                .stateDir(Files.createDirectories(state.resolve("s"))).allowUpload(true).build(), s3.credentials())
                .start();
    }

    @AfterAll
    static void stop() throws Exception {
        proxy.stop(Duration.ZERO);
        uploading.stop(Duration.ZERO);
        s3.close();
    }

    static Response exchange(BitsBridgeServer p, String request) throws Exception {
        return RawHttp.exchange(p.port(), request);
    }

    @Test
    void optionsForTheServerAndForAPathSayWhichMethodsWork() throws Exception {
        for (String target : new String[] {"*", "/text.txt", "/no/such/thing"}) {
            Response r = exchange(proxy, "OPTIONS " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            assertEquals(204, r.status(), target + ": " + r);
            assertEquals("GET, HEAD, OPTIONS", r.header("Allow"));
            assertNotNull(r.header("Date"));
        }
        Response u = exchange(uploading, "OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        assertEquals("GET, HEAD, OPTIONS, BITS_POST", u.header("Allow"), "uploads on: BITS_POST is allowed");
        Response d = exchange(uploading, "DELETE /text.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n");
        assertEquals(405, d.status());
        assertEquals("GET, HEAD, OPTIONS, BITS_POST", d.header("Allow"));
        assertNotNull(d.header("Date"), "Date on the proxy's own errors too");
    }

    @Test
    void hundredContinueIsSentWhenTheBodyIsWanted() throws Exception {
        try (RawHttp c = RawHttp.connect(proxy.port())) {
            c.timeout(Duration.ofMillis(900)); // curl waits 1 s before sending anyway
            c.send("GET /text.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
            Response interim = c.readHead();
            assertEquals(100, interim.status(), interim.toString());
            c.timeout(Duration.ofSeconds(10));
            c.send("hello");
            Response r = c.readResponse(false);
            assertEquals(200, r.status(), r.toString());
            assertArrayEquals(TEXT, r.body());
        }
    }

    @Test
    void aBitsFragmentWithExpectGetsItsHundredAtOnce() throws Exception {
        String session;
        try (BitsUploadClient bits = new BitsUploadClient(uploading.port())) {
            session = bits.createSession("/up/expect.bin").header("BITS-Session-Id");
        }
        byte[] data = new byte[2 * 1024 * 1024];
        new Random(7).nextBytes(data);
        try (RawHttp c = RawHttp.connect(uploading.port())) {
            c.timeout(Duration.ofMillis(900));
            c.send("BITS_POST /up/expect.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nBITS-Packet-Type: Fragment\r\n"
                    + "BITS-Session-Id: " + session + "\r\nContent-Range: bytes 0-" + (data.length - 1) + "/"
                    + data.length + "\r\nContent-Length: " + data.length + "\r\nExpect: 100-continue\r\n\r\n");
            Response interim = c.readHead();
            assertEquals(100, interim.status(), interim.toString());
            c.timeout(Duration.ofSeconds(30));
            c.send(data);
            Response ack = c.readResponse(false);
            assertEquals(200, ack.status(), ack.toString());
            assertEquals(String.valueOf(data.length), ack.header("BITS-Received-Content-Range"));
        }
    }

    @Test
    void aFinalAnswerFromTheHeadAloneComesInsteadOfTheHundredAndCloses() throws Exception {
        try (RawHttp c = RawHttp.connect(proxy.port())) {
            c.send("PUT /text.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nContent-Length: 100\r\n\r\n");
            Response r = c.readResponse(false);
            assertEquals(405, r.status(), r.toString());
            assertEquals("close", r.header("Connection"), "the held-back body's fate is unknown: no reuse");
            c.awaitClose(Duration.ofSeconds(5));
        }
    }

    @Test
    void anUnknownExpectationIs417() throws Exception {
        try (RawHttp c = RawHttp.connect(proxy.port())) {
            c.send("GET /text.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: teapot\r\n\r\n");
            Response r = c.readResponse(false);
            assertEquals(417, r.status(), r.toString());
            assertEquals("close", r.header("Connection"));
            c.awaitClose(Duration.ofSeconds(5));
        }
    }

    @Test
    void expectIsIgnoredFromHttp10() throws Exception {
        Response r = exchange(proxy, "GET /text.txt HTTP/1.0\r\nHost: 127.0.0.1\r\nExpect: teapot\r\n\r\n");
        assertEquals(200, r.status(), r.toString());
        assertNull(r.header("Transfer-Encoding"));
    }
}
