package dev.bitsbridge.proxy.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The guard behind the strict decoder: what is refused with which status, and what passes. */
class RequestGuardHandlerTest {

    private static final HostPolicy POLICY =
            new HostPolicy("127.0.0.1", List.of("files.example.com"), List.of("https://app.example.com"));

    private final EmbeddedChannel ch =
            new EmbeddedChannel(new StrictRequestDecoder(256, 1024), new RequestGuardHandler(POLICY));

    @AfterEach
    void finish() {
        ch.finishAndReleaseAll();
    }

    private void send(String raw) {
        ch.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1));
    }

    /** The refusal status, after checking that it closes the connection and forwards nothing. */
    private int refused(String raw) {
        send(raw);
        FullHttpResponse r = ch.readOutbound();
        try {
            assertEquals("close", r.headers().get("Connection"));
            assertEquals(Integer.toString(r.content().readableBytes()), r.headers().get("Content-Length"));
            assertNull(ch.readInbound(), "a refused request must not reach the router");
            assertFalse(ch.isOpen(), "connection closed after the refusal");
            return r.status().code();
        } finally {
            r.release();
        }
    }

    private void passes(String raw) {
        send(raw);
        assertNull(ch.readOutbound());
        HttpRequest req = assertInstanceOf(HttpRequest.class, ch.readInbound());
        assertTrue(req.decoderResult().isSuccess());
        LastHttpContent whole = assertInstanceOf(LastHttpContent.class, req, "a bodyless request arrives whole");
        whole.release();
        assertNull(ch.readInbound());
        assertTrue(ch.isOpen());
    }

    @Test
    void ordinaryRequestsPass() {
        passes("GET /a/b HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nRange: bytes=0-9\r\n\r\n");
        passes("HEAD /k HTTP/1.1\r\nHost: localhost\r\n\r\n");
        passes("GET /k HTTP/1.1\r\nHost: files.example.com\r\n\r\n");
        passes("GET /k HTTP/1.1\r\nHost: [::1]:9\r\n\r\n");
        passes("GET /k HTTP/1.0\r\n\r\n"); // HTTP/1.0 may omit Host
    }

    @Test
    void allowedOriginPasses() {
        passes("GET /k HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://app.example.com\r\n\r\n");
        passes("GET /k HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nOrigin: http://127.0.0.1:8080\r\n\r\n");
    }

    @Test
    void bothFramingsAre400() {
        assertEquals(400, refused("GET /k HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"));
    }

    @Test
    void malformedHostsAre400() {
        assertEquals(400, refused("GET /k HTTP/1.1\r\nHost: [::1]evil.example\r\n\r\n"));
        for (String h : new String[] {"[::1]evil.example", "[::1]:80x", "127.0.0.1:80:81", "evil.example/x",
                "a b", "127.0.0.1@evil.example", "[::1", "localhost:", ""}) {
            org.junit.jupiter.api.Assertions.assertFalse(HostPolicy.wellFormed(h), h);
        }
        for (String h : new String[] {"[::1]:8080", "[::1]", "localhost.", "127.0.0.1:8080", "files.example.lan",
                "my_host.lan:80"}) {
            org.junit.jupiter.api.Assertions.assertTrue(HostPolicy.wellFormed(h), h);
        }
    }

    @Test
    void foreignHostIs421() {
        assertEquals(421, refused("GET /k HTTP/1.1\r\nHost: attacker.example\r\n\r\n"));
    }

    @Test
    void missingHostOnHttp11Is400() {
        assertEquals(400, refused("GET /k HTTP/1.1\r\nRange: bytes=0-1\r\n\r\n"));
    }

    @Test
    void twoHostsAre400() {
        assertEquals(400, refused("GET /k HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: localhost\r\n\r\n"));
    }

    @Test
    void foreignOriginIs403() {
        assertEquals(403, refused("GET /k HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://evil.example\r\n\r\n"));
    }

    @Test
    void tooLongRequestLineIs414() {
        assertEquals(414, refused("GET /" + "a".repeat(400) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    }

    @Test
    void tooLargeHeadersAre431() {
        assertEquals(431, refused("GET /k HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + "b".repeat(2000) + "\r\n\r\n"));
    }

    @Test
    void garbageIs400() {
        assertEquals(400, refused("\u0001\u0002 garbage that is not http\r\n\r\n"));
    }

    @Test
    void bytesAfterARefusalAreDropped() {
        assertEquals(421, refused("GET /k HTTP/1.1\r\nHost: attacker.example\r\n\r\n"
                + "GET /k2 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
        assertNull(ch.readOutbound());
    }

    @Test
    void hostPolicy() {
        assertTrue(POLICY.hostAllowed("127.0.0.1"));
        assertTrue(POLICY.hostAllowed("LOCALHOST:8080"));
        assertTrue(POLICY.hostAllowed("localhost."));
        assertTrue(POLICY.hostAllowed("10.1.2.3:80"));
        assertTrue(POLICY.hostAllowed("[fe80::1]"));
        assertTrue(POLICY.hostAllowed("Files.Example.com:443"));
        assertFalse(POLICY.hostAllowed("evil.example"));
        assertFalse(POLICY.hostAllowed("127.0.0.1.evil.example"));
        assertFalse(POLICY.hostAllowed("localhost.evil.example"));
        assertFalse(POLICY.hostAllowed("256.0.0.1"));
        assertFalse(POLICY.hostAllowed("1.2.3"));
        assertFalse(POLICY.hostAllowed("localhost:"));
        assertFalse(POLICY.hostAllowed("localhost:80x"));
        assertFalse(POLICY.hostAllowed("[::1"));
        assertFalse(POLICY.hostAllowed(""));
        assertFalse(POLICY.hostAllowed(null));

        assertTrue(POLICY.originAllowed(null, "127.0.0.1"));
        assertTrue(POLICY.originAllowed("https://APP.example.com:443", "127.0.0.1"));
        assertFalse(POLICY.originAllowed("http://app.example.com", "127.0.0.1"));
        assertFalse(POLICY.originAllowed("https://app.example.com:8443", "127.0.0.1"));
        assertFalse(POLICY.originAllowed("null", "127.0.0.1"));
        assertTrue(POLICY.corsListed("https://app.example.com"));
        assertFalse(POLICY.corsListed("http://127.0.0.1:8080"));
        assertFalse(POLICY.corsListed(null));
        HostPolicy any = new HostPolicy("0.0.0.0", List.of(), List.of("*"));
        assertTrue(any.originAllowed("https://whatever.example", "127.0.0.1"));
        assertTrue(any.corsListed("https://whatever.example"));
    }
}
