package dev.bitsbridge.proxy.vending;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.MutableClock;
import dev.bitsbridge.proxy.testing.ProxyFixture;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * Vendor mode: a small in-test backend presigns per key and verb (as an application's backend
 * would); the proxy, holding no credentials, serves BITS-style requests through those URLs.
 */
class VendorModeTest {

    private static final byte[] DATA = new byte[2 * 1024 * 1024 + 5];

    static {
        new Random(9).nextBytes(DATA);
    }

    /** S3 only: the proxy here runs in vendor mode, with no bucket and no credentials. */
    @RegisterExtension
    static final ProxyFixture fx = ProxyFixture.builder().bucket("vend").withoutProxy()
            .object("pkg/tool v2.zip", DATA).build();
    private static S3Presigner presigner;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private HttpServer vendor;
    private final List<String> asked = new CopyOnWriteArrayList<>();
    private volatile int forcedStatus;
    private BitsBridgeServer proxy;
    /** The proxy's time: URL reuse is tested by moving it, while S3 judges the URLs by its own. */
    private final MutableClock clock = MutableClock.startingNow();

    @BeforeAll
    static void presigner() throws Exception {
        presigner = S3Presigner.builder().endpointOverride(fx.s3().endpoint()).region(Region.US_EAST_1)
                .credentialsProvider(fx.s3().credentials())
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build()).build();
    }

    @AfterAll
    static void stop() throws Exception {
        presigner.close();
    }

    @BeforeEach
    void start() throws Exception {
        vendor = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        vendor.createContext("/presign", ex -> {
            Map<String, String> q = Arrays.stream(ex.getRequestURI().getRawQuery().split("&"))
                    .map(p -> p.split("=", 2))
                    .collect(Collectors.toMap(p -> p[0], p -> URLDecoder.decode(p[1], StandardCharsets.UTF_8)));
            String key = q.get("key");
            String method = q.get("method");
            asked.add(method + " " + key + " " + ex.getRequestHeaders().getFirst("X-Api-Key"));
            byte[] body;
            int status = forcedStatus == 0 ? 200 : forcedStatus;
            if (status == 200) {
                String url = method.equals("HEAD")
                        ? presigner.presignHeadObject(r -> r.signatureDuration(Duration.ofMinutes(10))
                                .headObjectRequest(h -> h.bucket("vend").key(key))).url().toString()
                        : presigner.presignGetObject(r -> r.signatureDuration(Duration.ofMinutes(10))
                                .getObjectRequest(g -> g.bucket("vend").key(key))).url().toString();
                body = ("{\"url\":\"" + url + "\"}").getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Content-Type", "application/json");
            } else {
                body = "nope".getBytes(StandardCharsets.UTF_8);
            }
            ex.sendResponseHeaders(status, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        vendor.start();
        proxy = new BitsBridgeServer(ProxyConfig.builder().port(0)
                .urlVendor(URI.create("http://127.0.0.1:" + vendor.getAddress().getPort() + "/presign"))
                .urlVendorHeaders(List.of("X-Api-Key: k123"))
                .allowUpstream(List.of("127.0.0.1:" + fx.s3().endpoint().getPort()))
                .build(), null, clock).start();
    }

    @AfterEach
    void stopBoth() {
        proxy.stop(Duration.ZERO);
        vendor.stop(0);
    }

    private HttpResponse<byte[]> send(String method, String range) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port()
                + "/pkg/tool%20v2.zip")).method(method, HttpRequest.BodyPublishers.noBody());
        if (range != null) {
            b.header("Range", range);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void headAndRangesUsePerVerbUrlsThatAreReused() throws Exception {
        HttpResponse<byte[]> head = send("HEAD", null);
        assertEquals(200, head.statusCode());
        assertEquals(String.valueOf(DATA.length), head.headers().firstValue("Content-Length").orElseThrow());
        for (int i = 0; i < 3; i++) {
            HttpResponse<byte[]> r = send("GET", "bytes=" + (i * 1000) + "-" + (i * 1000 + 999));
            assertEquals(206, r.statusCode());
            assertArrayEquals(Arrays.copyOfRange(DATA, i * 1000, i * 1000 + 1000), r.body());
        }
        assertArrayEquals(DATA, send("GET", null).body());
        assertEquals(List.of("HEAD pkg/tool v2.zip k123", "GET pkg/tool v2.zip k123"), asked,
                "one URL per verb, reused until shortly before it expires, with the configured header");

        // The URLs are valid for 10 minutes and not reused in their last minute.
        clock.advance(Duration.ofMinutes(8));
        assertEquals(206, send("GET", "bytes=0-9").statusCode());
        assertEquals(2, asked.size(), "still reused two minutes before expiry: " + asked);
        clock.advance(Duration.ofSeconds(119)); // 9:59 after the clock started, at most that after signing
        HttpResponse<byte[]> late = send("GET", "bytes=10-19");
        assertEquals(206, late.statusCode());
        assertArrayEquals(Arrays.copyOfRange(DATA, 10, 20), late.body());
        assertEquals(List.of("HEAD pkg/tool v2.zip k123", "GET pkg/tool v2.zip k123", "GET pkg/tool v2.zip k123"),
                asked, "a fresh GET URL in the URL's last minute");
    }

    @Test
    void backendRefusalsPassThroughAndFailuresAre502() throws Exception {
        forcedStatus = 404;
        HttpResponse<byte[]> notFound = send("GET", null);
        assertEquals(404, notFound.statusCode());
        forcedStatus = 403;
        assertEquals(403, send("GET", null).statusCode());
        forcedStatus = 500;
        HttpResponse<byte[]> broken = send("GET", null);
        assertEquals(502, broken.statusCode());
        assertTrue(new String(broken.body()).contains("vendor"), new String(broken.body()));
    }
}
