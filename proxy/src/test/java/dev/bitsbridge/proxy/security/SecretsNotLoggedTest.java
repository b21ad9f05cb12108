package dev.bitsbridge.proxy.security;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.Options.ChunkedEncodingPolicy;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.testing.Await;
import dev.bitsbridge.proxy.testing.RawHttp;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.share.ShareLinks;
import dev.bitsbridge.proxy.share.ShareSecret;
import java.time.Clock;
import dev.bitsbridge.proxy.testing.S3Server;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * No secret reaches the logs, whatever path a request takes: client credentials (an
 * {@code Authorization} header, presigned-URL query parameters), the proxy's own AWS secret key and
 * session token, and the SigV4 signatures computed from them. Requests go through success, S3
 * errors, retries, upstream failures and refusals with every proxy logger at DEBUG (Netty's too);
 * every event (message and stack trace) and the test log file are then searched.
 */
class SecretsNotLoggedTest {

    private static final String SESSION_TOKEN = "FwoGZXIvYXdzSESSIONTOKEN" + "Q".repeat(40);
    private static final String CLIENT_AUTH = "Authorization: Bearer SECRET-TOKEN-5f1c2e9a";
    private static final String QUERY = "?X-Amz-Signature=SIGSECRET0a1b2c3d&token=TOKSECRET77&X-Amz-Credential=AKIDCLIENT";
    private static final Path LOG_FILE = Path.of("target/test-logs/bitsbridge-test.log");

    private final List<String> captured = new CopyOnWriteArrayList<>();
    private final List<BitsBridgeServer> proxies = new ArrayList<>();
    private AppenderBase<ILoggingEvent> appender;
    private Level nettyLevel;
    private long logFileStart;

    @BeforeEach
    void captureEverything() throws Exception {
        LoggerContext lc = (LoggerContext) LoggerFactory.getILoggerFactory();
        appender = new AppenderBase<>() {
            @Override
            protected void append(ILoggingEvent e) {
                String name = e.getLoggerName();
                // The fixtures (s3proxy, Jetty, WireMock, the SDK client seeding s3proxy) are not the proxy.
                if (name.startsWith("dev.bitsbridge") || name.startsWith("bitsbridge.") || name.startsWith("io.netty")) {
                    captured.add(name + " " + e.getFormattedMessage()
                            + (e.getThrowableProxy() == null ? "" : "\n" + ThrowableProxyUtil.asString(e.getThrowableProxy())));
                }
            }
        };
        appender.setContext(lc);
        appender.start();
        lc.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).addAppender(appender);
        nettyLevel = lc.getLogger("io.netty").getLevel();
        lc.getLogger("io.netty").setLevel(Level.DEBUG);
        lc.getLogger("dev.bitsbridge").setLevel(Level.DEBUG);
        logFileStart = Files.exists(LOG_FILE) ? Files.size(LOG_FILE) : 0;
    }

    @AfterEach
    void stop() {
        for (BitsBridgeServer p : proxies) {
            p.stop(Duration.ZERO);
        }
        LoggerContext lc = (LoggerContext) LoggerFactory.getILoggerFactory();
        lc.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).detachAppender(appender);
        lc.getLogger("io.netty").setLevel(nettyLevel);
    }

    /** @param session sign with a session token too (s3proxy refuses those: WireMock only) */
    private BitsBridgeServer proxy(URI endpoint, String secretKey, String bucket, boolean session) throws Exception {
        AwsCredentials creds = session ? AwsSessionCredentials.create(S3Server.ACCESS_KEY, secretKey, SESSION_TOKEN)
                : AwsBasicCredentials.create(S3Server.ACCESS_KEY, secretKey);
        BitsBridgeServer p = new BitsBridgeServer(ProxyConfig.builder().port(0).bucket(bucket).endpoint(endpoint)
                .upstreamTimeout(Duration.ofSeconds(1)).upstreamRetries(2).build(),
                StaticCredentialsProvider.create(creds)).start();
        proxies.add(p);
        return p;
    }

    private static RawHttp.Response getWithSecrets(int port, String path) throws Exception {
        return RawHttp.exchange(port, RawHttp.get(path + QUERY, CLIENT_AUTH, "Cookie: session=TOKSECRETcookie"));
    }

    @Test
    void noSecretInAnyLogLine() throws Exception {
        List<String> secrets = new ArrayList<>(List.of(SESSION_TOKEN, "Signature=", "X-Amz-Signature", "SIGSECRET",
                "TOKSECRET", "SECRET-TOKEN"));
        byte[] data = "the object".getBytes(StandardCharsets.US_ASCII);

        try (S3Server s3 = new S3Server()) {
            secrets.add(s3.secretKey());
            s3.createBucket("sec");
            s3.put("sec", "obj", data);
            // Signed with the real secret key: success, 404, 416, multi-range.
            BitsBridgeServer good = proxy(s3.endpoint(), s3.secretKey(), "sec", false);
            RawHttp.Response ok = getWithSecrets(good.port(), "/obj");
            assertEquals(200, ok.status(), ok.toString());
            assertArrayEquals(data, ok.body());
            assertEquals(404, getWithSecrets(good.port(), "/missing").status());
            assertEquals(416, RawHttp.exchange(good.port(), RawHttp.get("/obj" + QUERY, CLIENT_AUTH, "Range: bytes=500-"))
                    .status());
            assertEquals(206, RawHttp.exchange(good.port(),
                    RawHttp.get("/obj" + QUERY, CLIENT_AUTH, "Range: bytes=0-1,3-4")).status());
            assertEquals(400, getWithSecrets(good.port(), "/%zz").status());
            // Refusals before any routing: bad Host, too-large head, garbage.
            assertEquals(421, RawHttp.exchange(good.port(), "GET /obj" + QUERY + " HTTP/1.1\r\nHost: evil.example\r\n"
                    + CLIENT_AUTH + "\r\n\r\n").status());
            assertEquals(431, RawHttp.exchange(good.port(), RawHttp.get("/obj" + QUERY, CLIENT_AUTH,
                    "X-Pad: " + "p".repeat(17 * 1024))).status());
            assertEquals(400, RawHttp.exchange(good.port(), "\u0001\u0002 " + QUERY + " " + CLIENT_AUTH + "\r\n\r\n")
                    .status());

            // Signed with a wrong secret key: S3 says 403 SignatureDoesNotMatch.
            BitsBridgeServer wrong = proxy(s3.endpoint(), "wrong-" + s3.secretKey(), "sec", false);
            assertEquals(403, getWithSecrets(wrong.port(), "/obj").status());

            // Share links: a proxy that requires tokens; valid, one-time, foreign-key and bad tokens,
            // in the query and as Bearer, through success, 403 and 410.
            Path state = Files.createTempDirectory("bitsbridge-secrets");
            BitsBridgeServer shared = new BitsBridgeServer(ProxyConfig.builder().port(0).bucket("sec")
                    .endpoint(s3.endpoint()).stateDir(state).requireToken(true).build(), s3.credentials()).start();
            proxies.add(shared);
            ShareLinks links = new ShareLinks(ShareSecret.open(state), Clock.systemUTC());
            String token = links.sign(links.newToken("obj", Duration.ofMinutes(5), false, false));
            String onceToken = links.sign(links.newToken("obj", Duration.ofMinutes(5), true, false));
            String otherKey = links.sign(links.newToken("missing", Duration.ofMinutes(5), false, false));
            for (String t : List.of(token, onceToken, otherKey)) {
                secrets.add(t.substring(t.lastIndexOf('.') + 1)); // the MAC: what makes a token valid
                secrets.add(t);
            }
            assertEquals(200, RawHttp.exchange(shared.port(), RawHttp.get("/obj?token=" + token)).status());
            assertEquals(206, RawHttp.exchange(shared.port(), RawHttp.get("/obj", "Authorization: Bearer " + token,
                    "Range: bytes=0-3")).status());
            assertEquals(200, RawHttp.exchange(shared.port(), RawHttp.get("/obj?token=" + onceToken)).status());
            // Spent is recorded once the last byte is written, which may be just after the client read it.
            Await.value(Duration.ofSeconds(10), () -> RawHttp.exchange(shared.port(), RawHttp.get("/obj?token=" + onceToken))
                    .status(), s -> s == 410, "the one-time link spent");
            assertEquals(403, RawHttp.exchange(shared.port(), RawHttp.get("/obj?token=" + otherKey)).status());
            assertEquals(403, RawHttp.exchange(shared.port(), RawHttp.get("/obj?token=" + token + "x")).status());
            assertEquals(401, RawHttp.exchange(shared.port(), RawHttp.get("/obj")).status());
        }

        // WireMock: retries (logged at DEBUG), a reset, a malformed answer, a stalled body.
        WireMockServer wm = new WireMockServer(wireMockConfig().bindAddress("127.0.0.1").port(0)
                .useChunkedTransferEncoding(ChunkedEncodingPolicy.NEVER));
        wm.start();
        try {
            wm.stubFor(get("/b/obj").inScenario("s").whenScenarioStateIs(Scenario.STARTED)
                    .willReturn(aResponse().withStatus(503).withBody("<Error><Code>SlowDown</Code></Error>"))
                    .willSetStateTo("reset"));
            wm.stubFor(get("/b/obj").inScenario("s").whenScenarioStateIs("reset")
                    .willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)).willSetStateTo("ok"));
            wm.stubFor(get("/b/obj").inScenario("s").whenScenarioStateIs("ok")
                    .willReturn(aResponse().withStatus(200).withHeader("ETag", "\"e\"").withBody(data)));
            wm.stubFor(get("/b/garbage").willReturn(aResponse().withFault(Fault.RANDOM_DATA_THEN_CLOSE)));
            wm.stubFor(get("/b/slow").willReturn(aResponse().withStatus(200).withBody(data).withFixedDelay(1500)));
            BitsBridgeServer p = proxy(URI.create("http://127.0.0.1:" + wm.port()), "wm-secret-KEY-0xDEADBEEF", "b", true);
            secrets.add("wm-secret-KEY-0xDEADBEEF");

            assertArrayEquals(data, getWithSecrets(p.port(), "/obj").body());
            assertEquals(502, getWithSecrets(p.port(), "/garbage").status());
            assertEquals(504, getWithSecrets(p.port(), "/slow").status());

            // The secrets were really in play upstream: signed, with the session token, no client query.
            List<LoggedRequest> seen = wm.findAll(getRequestedFor(urlEqualTo("/b/obj")));
            assertEquals(3, seen.size());
            for (LoggedRequest r : seen) {
                assertTrue(r.getHeader("Authorization").contains("Signature="));
                assertEquals(SESSION_TOKEN, r.getHeader("X-Amz-Security-Token"));
                assertFalse(r.containsHeader("Cookie") || r.getHeader("Authorization").contains("Bearer"),
                        "client credentials are not forwarded");
            }
        } finally {
            wm.stop();
        }

        // Close every proxy so access-log lines of closed connections are written too.
        for (BitsBridgeServer p : proxies) {
            p.stop(Duration.ZERO);
        }
        proxies.clear();

        String fileSlice = readLogFileFrom(logFileStart);
        assertTrue(captured.stream().anyMatch(l -> l.startsWith("bitsbridge.access") && l.contains("GET /obj 200")),
                "the access log was captured (else this test proves nothing)");
        assertTrue(captured.stream().anyMatch(l -> l.contains("retrying GET")), "DEBUG retry lines were captured");
        assertTrue(fileSlice.contains("bitsbridge.access"), "the log file was written");
        for (String secret : secrets) {
            for (String line : captured) {
                assertFalse(line.contains(secret), "secret '" + shorten(secret) + "' logged: " + line);
            }
            for (String line : fileSlice.split("\n")) {
                if (!line.contains("s3proxy") && !line.contains("jetty") && !line.contains("wiremock")) {
                    assertFalse(line.contains(secret), "secret '" + shorten(secret) + "' in the log file: " + line);
                }
            }
        }
    }

    private static String readLogFileFrom(long offset) throws Exception {
        byte[] all = Files.readAllBytes(LOG_FILE);
        return new String(all, (int) Math.min(offset, all.length), (int) Math.max(0, all.length - offset),
                StandardCharsets.UTF_8);
    }

    private static String shorten(String s) {
        return s.length() > 12 ? s.substring(0, 12) + "..." : s;
    }

    /**
     * An upload session id is the session's capability (whoever has it can write into or cancel
     * the upload): logs show it as {@code upload#<8 hex>} only, through its whole life.
     */
    @Test
    void uploadSessionIdsAreLoggedAsShortHashes(@org.junit.jupiter.api.io.TempDir Path state) throws Exception {
        try (S3Server s3 = new S3Server()) {
            s3.createBucket("uploads-log");
            BitsBridgeServer p = new BitsBridgeServer(ProxyConfig.builder().port(0).bucket("uploads-log").endpoint(s3.endpoint())
                    .stateDir(state).allowUpload(true).build(), s3.credentials()).start();
            proxies.add(p);
            byte[] data = new byte[300_000];
            new java.util.Random(5).nextBytes(data);
            String id;
            try (dev.bitsbridge.proxy.testing.BitsUploadClient bits =
                    new dev.bitsbridge.proxy.testing.BitsUploadClient(p.port())) {
                id = bits.createSession("/logged.bin").header("BITS-Session-Id");
                assertEquals(200, bits.fragment("/logged.bin", id, data, 0, data.length).status());
                assertEquals(200, bits.close("/logged.bin", id).status());
                String other = bits.createSession("/cancelled.bin").header("BITS-Session-Id");
                assertEquals(200, bits.cancel("/cancelled.bin", other).status());
            }
            String bare = id.replace("{", "").replace("}", "");
            String all = String.join("\n", captured);
            assertTrue(all.contains(dev.bitsbridge.proxy.state.LogIds.of("upload", id) + " created"), all);
            assertTrue(all.contains(dev.bitsbridge.proxy.state.LogIds.of("upload", id) + " completed"), all);
            assertFalse(all.toUpperCase().contains(bare.toUpperCase()), "a session id reached the log: " + all);
        }
    }
}
