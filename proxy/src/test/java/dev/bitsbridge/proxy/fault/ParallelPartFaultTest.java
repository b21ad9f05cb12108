package dev.bitsbridge.proxy.fault;

import dev.bitsbridge.proxy.testing.RawHttp;

import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.Options.ChunkedEncodingPolicy;
import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Parts of a parallel download that fail: each is asked again on its own and the client still
 * gets the exact bytes; a part that keeps failing closes the client connection short. S3 is played
 * by WireMock (a 503 SlowDown) and by {@link RawUpstream} (a body cut after its head, a part
 * that never answers), whose request counts check the bound on S3 requests.
 */
class ParallelPartFaultTest {

    private static final int PART = 64 * 1024;
    private static final String ETAG = "\"0123456789abcdef0123456789abcdef\"";
    private static final byte[] DATA = random(8 * PART + 1000);

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(9).nextBytes(b);
        return b;
    }

    private static BitsBridgeServer proxy(int port) throws Exception {
        return new BitsBridgeServer(ProxyConfig.builder().port(0).bucket("b")
                .endpoint(URI.create("http://127.0.0.1:" + port)).upstreamTimeout(Duration.ofSeconds(2))
                .parallelConnections(4).partSize(PART).build(), UpstreamFaultTest.fakeCredentials()).start();
    }

    private static String range(int part) {
        long first = (long) part * PART;
        return "bytes=" + first + "-" + (Math.min(DATA.length, first + PART) - 1);
    }

    @Test
    void aPartThrottledOnceIsFetchedAgainAndTheBodyIsExact() throws Exception {
        WireMockServer wm = new WireMockServer(wireMockConfig().bindAddress("127.0.0.1").port(0)
                .useChunkedTransferEncoding(ChunkedEncodingPolicy.NEVER));
        wm.start();
        BitsBridgeServer p = proxy(wm.port());
        try {
            wm.stubFor(get("/b/obj").withHeader("Range", absent()).willReturn(UpstreamFaultTest.object(DATA)));
            for (int i = 1; i * PART < DATA.length; i++) {
                int first = i * PART;
                int last = Math.min(DATA.length, first + PART) - 1;
                var ok = aResponse().withStatus(206).withHeader("ETag", ETAG)
                        .withHeader("Content-Range", "bytes " + first + "-" + last + "/" + DATA.length)
                        .withBody(Arrays.copyOfRange(DATA, first, last + 1));
                if (i == 3) {
                    String scenario = "part" + i;
                    var failure = UpstreamFaultTest.s3Error(503, "SlowDown", "Please reduce your request rate.");
                    wm.stubFor(get("/b/obj").withHeader("Range", equalTo(range(i))).inScenario(scenario)
                            .whenScenarioStateIs(STARTED).willReturn(failure).willSetStateTo("ok"));
                    wm.stubFor(get("/b/obj").withHeader("Range", equalTo(range(i))).inScenario(scenario)
                            .whenScenarioStateIs("ok").willReturn(ok));
                } else {
                    wm.stubFor(get("/b/obj").withHeader("Range", equalTo(range(i))).willReturn(ok));
                }
            }

            RawHttp.Response r = RawHttp.exchange(p.port(), RawHttp.get("/obj"));

            assertEquals(200, r.status(), r.toString());
            assertTrue(r.complete());
            assertArrayEquals(DATA, r.body());
            int requests = wm.findAll(getRequestedFor(urlEqualTo("/b/obj"))).size();
            // one per part, plus the throttled attempt (S3Caller's own retry)
            assertEquals(9 + 1, requests);
            assertTrue(requests - 1 <= DATA.length / PART + 2);
        } finally {
            p.stop(Duration.ZERO);
            wm.stop();
        }
    }

    @Test
    void partsCutShortOrStalledAreResumedFromTheirFirstMissingByte() throws Exception {
        AtomicBoolean cut = new AtomicBoolean();
        AtomicBoolean stalled = new AtomicBoolean();
        try (RawUpstream s3 = new RawUpstream((r, n, out, socket) -> {
            if (range(6).equals(r.header("Range")) && stalled.compareAndSet(false, true)) {
                RawUpstream.silence(socket); // past the upstream timeout: the part is asked again
                return false;
            }
            if (range(4).equals(r.header("Range")) && cut.compareAndSet(false, true)) {
                out.write(RawUpstream.head("206 Partial Content", PART, ETAG,
                        "Content-Range: " + "bytes " + 4 * PART + "-" + (5 * PART - 1) + "/" + DATA.length + "\r\n"));
                out.write(DATA, 4 * PART, 1000);
                out.flush();
                return false; // close after 1000 of 65536 bytes
            }
            RawUpstream.object(r, out, DATA, ETAG);
            return true;
        })) {
            BitsBridgeServer p = proxy(s3.port());
            try {
                RawHttp.Response r = RawHttp.exchange(p.port(), RawHttp.get("/obj"));

                assertEquals(200, r.status(), r.toString());
                assertArrayEquals(DATA, r.body());
                assertTrue(cut.get() && stalled.get());
                assertTrue(s3.seen().stream().anyMatch(q -> ("bytes=" + (4 * PART + 1000) + "-" + (5 * PART - 1))
                        .equals(q.header("Range"))), "asked again from the first missing byte");
                assertEquals(9 + 2, s3.requests());
            } finally {
                p.stop(Duration.ZERO);
            }
        }
    }

    @Test
    void aPartThatKeepsFailingClosesTheConnectionShort() throws Exception {
        try (RawUpstream s3 = new RawUpstream((r, n, out, socket) -> {
            if (range(5).equals(r.header("Range"))) {
                out.write(("HTTP/1.1 404 Not Found\r\nContent-Type: application/xml\r\nContent-Length: 0\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                return true;
            }
            RawUpstream.object(r, out, DATA, ETAG);
            return true;
        })) {
            BitsBridgeServer p = proxy(s3.port());
            try {
                RawHttp.Response r = RawHttp.exchange(p.port(), RawHttp.get("/obj"));

                assertEquals(200, r.status());
                assertEquals(DATA.length, r.contentLength());
                assertFalse(r.complete(), "never a clean short body");
                assertTrue(r.body().length <= 5 * PART);
                assertArrayEquals(Arrays.copyOf(DATA, r.body().length), r.body());
            } finally {
                p.stop(Duration.ZERO);
            }
        }
    }
}
