package dev.bitsbridge.proxy.fault;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.head;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.Options.ChunkedEncodingPolicy;
import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.Await;
import dev.bitsbridge.proxy.testing.RawHttp;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An answer computed asynchronously (a BITS Create-Session waits for S3 to say whether the key
 * exists) that arrives after its client hung up is dropped without touching the in-flight count.
 * It used to be counted twice (once when the connection closed, once when the late write
 * failed): five such requests left the count at -5, and a graceful stop then cut a running
 * download short at once. WireMock plays S3 because the fault needs a slow HEAD.
 */
class LateAnswerTest {

    private static final byte[] DATA = UpstreamFaultTest.random(8 * 1024 * 1024, 7);
    private static final String CREATE_SESSION = "BITS_POST /late.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + "BITS-Packet-Type: Create-Session\r\n"
            + "BITS-Supported-Protocols: {7df0354d-249b-430f-820d-3d2a9bef4931}\r\nContent-Length: 0\r\n\r\n";

    private WireMockServer wm;
    private BitsBridgeServer proxy;

    @BeforeEach
    void start(@TempDir Path state) throws Exception {
        wm = new WireMockServer(wireMockConfig().bindAddress("127.0.0.1").port(0)
                .useChunkedTransferEncoding(ChunkedEncodingPolicy.NEVER));
        wm.start();
        wm.stubFor(head(urlPathMatching(".*/late\\.bin")).willReturn(aResponse().withStatus(404).withFixedDelay(700)));
        // The uploads' conditional-write probe: the first conditional PUT is taken, the second refused.
        wm.stubFor(com.github.tomakehurst.wiremock.client.WireMock.put(urlPathMatching(".*/\\.bitsbridge/probe/.*"))
                .inScenario("probe").whenScenarioStateIs(com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED)
                .willReturn(aResponse().withStatus(200).withHeader("ETag", "\"1\"")).willSetStateTo("exists"));
        wm.stubFor(com.github.tomakehurst.wiremock.client.WireMock.put(urlPathMatching(".*/\\.bitsbridge/probe/.*"))
                .inScenario("probe").whenScenarioStateIs("exists").willReturn(aResponse().withStatus(412)));
        wm.stubFor(get(urlPathMatching(".*/big\\.bin")).willReturn(UpstreamFaultTest.object(DATA)));
        proxy = new BitsBridgeServer(ProxyConfig.builder().port(0).bucket("b")
                .endpoint(URI.create("http://127.0.0.1:" + wm.port())).stateDir(state).allowUpload(true).build(),
                UpstreamFaultTest.fakeCredentials()).start();
        this.state = state;
    }

    private Path state;

    @AfterEach
    void stop() {
        proxy.stop(Duration.ZERO);
        wm.stop();
    }

    @Test
    void lateAnswersToClientsThatLeftDoNotShortenTheDrain() throws Exception {
        for (int i = 0; i < 5; i++) {
            try (RawHttp c = RawHttp.connect(proxy.port())) {
                c.send(CREATE_SESSION);
            } // hangs up long before S3 answers the HEAD
        }
        // Each session is stored just before its answer is handed to the (closed) connection.
        awaitSessions(5, Duration.ofSeconds(10));
        awaitInFlight(0, Duration.ofSeconds(5));

        try (RawHttp c = RawHttp.connect(proxy.port(), 16 * 1024)) {
            c.send(RawHttp.get("/big.bin"));
            assertEquals(200, c.readHead().status());
            assertEquals(1, proxy.requestsInFlight(), "the running download is the one request in flight");
            CompletableFuture<Void> stopped = CompletableFuture.runAsync(() -> proxy.stop(Duration.ofSeconds(10)));
            ByteArrayOutputStream got = new ByteArrayOutputStream(DATA.length);
            assertTrue(c.readBody(got, DATA.length), "the download is completed, not cut when stop() begins");
            assertArrayEquals(DATA, got.toByteArray());
            stopped.get(10, TimeUnit.SECONDS);
        }
    }

    private void awaitSessions(int n, Duration within) throws Exception {
        Await.until(within, () -> countSessions() >= n, () -> "fewer than " + n + " sessions were created");
        // The answer is handed to the event loop right after the session is stored; give the
        // loop a turn by passing one request through the proxy after it.
        RawHttp.exchange(proxy.port(), RawHttp.get("/_bitsbridge/health"));
    }

    private long countSessions() throws Exception {
        Path uploads = state.resolve("uploads");
        if (!Files.isDirectory(uploads)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(uploads)) {
            return s.filter(d -> Files.exists(d.resolve("session.json"))).count();
        }
    }

    private void awaitInFlight(int n, Duration within) throws Exception {
        Await.until(within, () -> proxy.requestsInFlight() == n, () -> "requests in flight: " + proxy.requestsInFlight());
    }
}
