package dev.bitsbridge.proxy.fault;

import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.Options.ChunkedEncodingPolicy;
import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.ProxyFixture;
import dev.bitsbridge.proxy.testing.RawHttp;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Hostile or broken requests over raw sockets, exact bytes in, the full response out: each is
 * refused with the right status (and, where the stream can no longer be trusted, a closed
 * connection), and the proxy serves a normal GET afterwards.
 */
class BadInputTest {

    private static final byte[] DATA = UpstreamFaultTest.random(100_000, 7);

    @RegisterExtension
    static final ProxyFixture fx = ProxyFixture.builder().bucket("bkt").object("obj", DATA)
            .config(b -> b.corsOrigins(List.of("https://app.example"))).build();

    @AfterEach
    void stillServesANormalGet() throws IOException {
        RawHttp.Response r = RawHttp.exchange(fx.port(), RawHttp.get("/obj"));
        assertEquals(200, r.status(), r.toString());
        assertArrayEquals(DATA, r.body());
    }

    /** Sends {@code request}, reads the answer, and checks the proxy then closed the connection. */
    private static RawHttp.Response refusedAndClosed(byte[] request, int status) throws IOException {
        try (RawHttp c = RawHttp.connect(fx.port())) {
            c.send(request);
            RawHttp.Response r = c.readResponse(false);
            assertEquals(status, r.status(), r.toString());
            assertTrue(r.complete());
            assertEquals("close", r.header("Connection"));
            assertEquals(0, c.awaitClose(Duration.ofSeconds(2)), "nothing after the refusal");
            return r;
        }
    }

    private static RawHttp.Response refusedAndClosed(String request, int status) throws IOException {
        return refusedAndClosed(request.getBytes(StandardCharsets.ISO_8859_1), status);
    }

    @Test
    void nonHttpBytesGet400AndClose() throws IOException {
        // The start of a TLS ClientHello, as sent by a client told https:// by mistake.
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, (byte) 0xfc, 0x03, 0x03});
        b.writeBytes(UpstreamFaultTest.random(200, 3));
        b.writeBytes("\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        refusedAndClosed(b.toByteArray(), 400);
    }

    @Test
    void headersOver16KiBGet431() throws IOException {
        refusedAndClosed(RawHttp.get("/obj", "X-Padding: " + "a".repeat(17 * 1024)), 431);
    }

    @Test
    void largeButAllowedHeadsAreServed() throws IOException {
        // Over one socket read (~2 KiB) but under the limits: long cookies, long signed URLs.
        RawHttp.Response r = RawHttp.exchange(fx.port(),
                RawHttp.get("/obj?X-Amz-Credential=" + "c".repeat(7000), "Cookie: " + "k".repeat(15000)));
        assertEquals(200, r.status(), r.toString());
        assertArrayEquals(DATA, r.body());
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws IOException {
        try (RawHttp c = RawHttp.connect(fx.port())) {
            c.send(RawHttp.get("/obj", "Range: bytes=0-9") + RawHttp.get("/obj", "Range: bytes=10-19")
                    + RawHttp.get("/obj", "Range: bytes=20-29"));
            for (int i = 0; i < 3; i++) {
                RawHttp.Response r = c.readResponse(false);
                assertEquals(206, r.status(), r.toString());
                assertArrayEquals(java.util.Arrays.copyOfRange(DATA, i * 10, i * 10 + 10), r.body());
            }
        }
    }

    @Test
    void requestLineOver8KiBGets414() throws IOException {
        refusedAndClosed(RawHttp.get("/" + "a".repeat(9 * 1024)), 414);
    }

    @Test
    void contentLengthWithTransferEncodingGets400() throws IOException {
        RawHttp.Response r = refusedAndClosed("GET /obj HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400);
        assertTrue(r.text().contains("Transfer-Encoding"), r.text());
    }

    @Test
    void aMalformedChunkedBodyGets400AndCloseNotAHang() throws IOException {
        String token = fx.proxy().adminToken();
        // To an endpoint that collects its body, and to a download whose body is dropped.
        RawHttp.Response r = refusedAndClosed("POST /_bitsbridge/links HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Authorization: Bearer " + token + "\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\nZZ-not-a-size\r\n", 400);
        assertTrue(r.text().contains("malformed"), r.text());
        refusedAndClosed("GET /obj HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "nonsense\r\n", 400);
    }

    @Test
    void invalidPercentEncodingGets400() throws IOException {
        for (String path : List.of("/%zz", "/obj%", "/%4", "/a%00b", "/%C0%AF")) {
            RawHttp.Response r = RawHttp.exchange(fx.port(), RawHttp.get(path));
            assertEquals(400, r.status(), path + " -> " + r);
        }
    }

    @Test
    void unknownMethodGets501AndDeleteGets405() throws IOException {
        RawHttp.Response foo = RawHttp.exchange(fx.port(), "FOO /obj HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        assertEquals(501, foo.status(), foo.toString());
        RawHttp.Response delete = RawHttp.exchange(fx.port(), "DELETE /obj HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        assertEquals(405, delete.status(), delete.toString());
        assertEquals("GET, HEAD, OPTIONS", delete.header("Allow"));
        assertTrue(fx.s3().client().headObject(h -> h.bucket("bkt").key("obj")).contentLength() == DATA.length,
                "the object is still there");
    }

    @Test
    void rangeStartOverflowingLongGets416WithTheSize() throws IOException {
        RawHttp.Response r = RawHttp.exchange(fx.port(),
                RawHttp.get("/obj", "Range: bytes=99999999999999999999999-"));
        assertEquals(416, r.status(), r.toString());
        assertEquals("bytes */" + DATA.length, r.header("Content-Range"));
    }

    @Test
    void rangeEndOverflowingLongMeansToTheEnd() throws IOException {
        for (String range : List.of("bytes=0-99999999999999999999999", "bytes=-99999999999999999999999")) {
            RawHttp.Response r = RawHttp.exchange(fx.port(), RawHttp.get("/obj", "Range: " + range));
            assertEquals(206, r.status(), range + " -> " + r);
            assertEquals("bytes 0-" + (DATA.length - 1) + "/" + DATA.length, r.header("Content-Range"));
            assertEquals(DATA.length, r.contentLength());
            assertArrayEquals(DATA, r.body());
        }
    }

    @Test
    void thousandRangesGetTheWholeObjectWithOneUpstreamRequest() throws Exception {
        // WireMock here only to count upstream requests, which s3proxy cannot tell.
        WireMockServer wm = new WireMockServer(wireMockConfig().bindAddress("127.0.0.1").port(0)
                .useChunkedTransferEncoding(ChunkedEncodingPolicy.NEVER));
        wm.start();
        BitsBridgeServer p = new BitsBridgeServer(ProxyConfig.builder().port(0).bucket("b")
                .endpoint(URI.create("http://127.0.0.1:" + wm.port())).build(), UpstreamFaultTest.fakeCredentials())
                .start();
        try {
            wm.stubFor(get("/b/obj").willReturn(UpstreamFaultTest.object(DATA)));
            StringBuilder ranges = new StringBuilder("Range: bytes=0-0");
            for (int i = 1; i < 1000; i++) {
                ranges.append(',').append(i * 90).append('-').append(i * 90 + 5);
            }
            RawHttp.Response r = RawHttp.exchange(p.port(), RawHttp.get("/obj", ranges.toString()));
            assertEquals(200, r.status(), r.toString());
            assertNull(r.header("Content-Range"));
            assertArrayEquals(DATA, r.body());
            assertEquals(1, wm.countRequestsMatching(anyRequestedFor(anyUrl()).build()).getCount());
        } finally {
            p.stop(Duration.ZERO);
            wm.stop();
        }
    }

    @Test
    void dnsRebindingHostGets421() throws IOException {
        RawHttp.Response r = refusedAndClosed("GET /obj HTTP/1.1\r\nHost: attacker.example\r\n\r\n", 421);
        // One line naming the host it got and what to do about it.
        assertEquals("421 Misdirected Request: this proxy does not serve host 'attacker.example'; use its IP address"
                + " or localhost, or start it with --public-host attacker.example\n", r.text());
        RawHttp.Response withPort = refusedAndClosed(
                "GET /obj HTTP/1.1\r\nHost: Files.Example.LAN:" + fx.port() + "\r\n\r\n", 421);
        assertTrue(withPort.text().contains("host 'Files.Example.LAN:" + fx.port() + "'")
                && withPort.text().endsWith("--public-host files.example.lan\n"), withPort.text());
    }

    @Test
    void foreignOriginGets403WithoutCorsHeaders() throws IOException {
        RawHttp.Response r = refusedAndClosed(RawHttp.get("/obj", "Origin: https://evil.example"), 403);
        assertNull(r.header("Access-Control-Allow-Origin"));
    }

    @Test
    void listedOriginGetsCorsHeadersAndAPreflight() throws IOException {
        RawHttp.Response r = RawHttp.exchange(fx.port(),
                RawHttp.get("/obj", "Origin: https://app.example", "Range: bytes=10-19"));
        assertEquals(206, r.status(), r.toString());
        assertEquals("https://app.example", r.header("Access-Control-Allow-Origin"));
        assertTrue(r.header("Access-Control-Expose-Headers").contains("Content-Range"));
        assertArrayEquals(java.util.Arrays.copyOfRange(DATA, 10, 20), r.body());

        RawHttp.Response pre = RawHttp.exchange(fx.port(), "OPTIONS /obj HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Origin: https://app.example\r\nAccess-Control-Request-Method: GET\r\n"
                + "Access-Control-Request-Headers: range\r\n\r\n");
        assertEquals(204, pre.status(), pre.toString());
        assertEquals("https://app.example", pre.header("Access-Control-Allow-Origin"));
        assertTrue(pre.header("Access-Control-Allow-Methods").contains("GET"), pre.toString());
        assertTrue(pre.header("Access-Control-Allow-Headers").toLowerCase().contains("range"), pre.toString());
    }
}
