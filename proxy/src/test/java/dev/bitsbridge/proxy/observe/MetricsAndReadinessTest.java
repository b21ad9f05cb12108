package dev.bitsbridge.proxy.observe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.ProxyFixture;
import dev.bitsbridge.proxy.testing.S3Server;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Random;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;

/**
 * {@code /_bitsbridge/metrics} after real requests through the proxy to a real S3 API, and
 * {@code /_bitsbridge/ready} up and down for each reason an operator would meet.
 */
class MetricsAndReadinessTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final byte[] OBJECT = new byte[100_000];

    static {
        new Random(8).nextBytes(OBJECT);
    }

    @RegisterExtension
    static final ProxyFixture fx = ProxyFixture.builder().bucket("ops").withoutProxy().object("data.bin", OBJECT)
            .build();

    /** Admin tokens of the proxies started here, by port: metrics need one (readiness does not). */
    private static final java.util.Map<Integer, String> ADMIN = new java.util.concurrent.ConcurrentHashMap<>();

    private static BitsBridgeServer proxy(String bucket, URI endpoint, AwsCredentialsProvider creds) throws Exception {
        return remember(new BitsBridgeServer(ProxyConfig.builder().port(0).bucket(bucket).endpoint(endpoint)
                .upstreamTimeout(Duration.ofSeconds(3)).build(), creds).start());
    }

    private static BitsBridgeServer remember(BitsBridgeServer p) {
        ADMIN.put(p.port(), p.adminToken());
        return p;
    }

    private static HttpResponse<byte[]> send(int port, String method, String path, String range) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).method(method, HttpRequest.BodyPublishers.noBody());
        if (range != null) {
            b.header("Range", range);
        }
        if (path.equals("/_bitsbridge/metrics") && ADMIN.containsKey(port)) {
            b.header("Authorization", "Bearer " + ADMIN.get(port));
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static String metrics(int port) throws Exception {
        HttpResponse<byte[]> r = send(port, "GET", "/_bitsbridge/metrics", null);
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/plain; version=0.0.4"),
                r.headers().toString());
        return new String(r.body(), java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Metrics are recorded when a write completes, which may be just after the client has the bytes. */
    private static String metricsWhen(int port, Predicate<String> ready) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        String m = metrics(port);
        while (!ready.test(m) && System.nanoTime() < deadline) {
            Thread.onSpinWait();
            m = metrics(port);
        }
        return m;
    }

    static double value(String metrics, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    @Test
    void metricsCountRequestsBytesAndUpstreamLatency() throws Exception {
        try (BitsBridgeServer p = proxy("ops", fx.s3().endpoint(), fx.s3().credentials())) {
            HttpResponse<byte[]> whole = send(p.port(), "GET", "/data.bin", null);
            assertEquals(200, whole.statusCode());
            assertEquals(OBJECT.length, whole.body().length);
            HttpResponse<byte[]> part = send(p.port(), "GET", "/data.bin", "bytes=10-1009");
            assertEquals(206, part.statusCode());
            assertEquals(1000, part.body().length);
            HttpResponse<byte[]> missing = send(p.port(), "GET", "/missing.bin", null);
            assertEquals(404, missing.statusCode());
            assertEquals(200, send(p.port(), "HEAD", "/data.bin", null).statusCode());
            long sent = whole.body().length + part.body().length + missing.body().length;

            // The JVM series are bound by the start-up's background warm-up: wait for them too.
            String m = metricsWhen(p.port(), s -> value(s,
                    "bitsbridge_requests_total{method=\"HEAD\",outcome=\"complete\",status=\"200\"}") == 1.0
                    && s.contains("jvm_gc_"));
            assertEquals(1.0, value(m, "bitsbridge_requests_total{method=\"GET\",outcome=\"complete\",status=\"200\"}"), m);
            assertEquals(1.0, value(m, "bitsbridge_requests_total{method=\"GET\",outcome=\"complete\",status=\"206\"}"), m);
            assertEquals(1.0, value(m, "bitsbridge_requests_total{method=\"GET\",outcome=\"complete\",status=\"404\"}"), m);
            assertEquals(1.0, value(m, "bitsbridge_requests_total{method=\"HEAD\",outcome=\"complete\",status=\"200\"}"), m);
            assertEquals((double) sent, value(m, "bitsbridge_sent_bytes_total"), m);
            assertTrue(value(m, "bitsbridge_upstream_received_bytes_total") > OBJECT.length + 1000, m);
            assertEquals(0.0, value(m, "bitsbridge_transfers_active"), m);
            // Upstream latency is a histogram with buckets, per method and status.
            assertTrue(value(m, "bitsbridge_upstream_latency_seconds_count{method=\"GET\",status=\"200\"}") >= 1, m);
            assertTrue(value(m, "bitsbridge_upstream_latency_seconds_count{method=\"GET\",status=\"206\"}") >= 1, m);
            assertTrue(value(m, "bitsbridge_upstream_latency_seconds_count{method=\"HEAD\",status=\"200\"}") >= 1, m);
            assertTrue(m.contains("bitsbridge_upstream_latency_seconds_bucket{method=\"GET\",status=\"200\",le=\"+Inf\"}"),
                    m);
            assertEquals(0.0, value(m, "bitsbridge_upstream_errors_total{kind=\"connect_failed\"}"), m);
            // JVM and buffer pools, under their standard names.
            assertTrue(value(m, "jvm_buffer_memory_used_bytes{id=\"direct\"}") >= 0, m);
            assertTrue(m.contains("jvm_memory_used_bytes{"), m);
            assertTrue(m.contains("jvm_gc_"), m);
            assertTrue(value(m, "bitsbridge_netty_allocator_used_direct_bytes") >= 0, m);
            // The proxy's own endpoints are counted too (the scrapes themselves).
            assertTrue(m.contains("bitsbridge_requests_total{method=\"GET\",outcome=\"complete\",status=\"200\"}"), m);
        }
    }

    /**
     * A fresh proxy lists every series a dashboard or alert reads at 0, before its first event:
     * a series that appears only with its first event hides that event from rate() and reads as
     * "no data" in an alert.
     */
    @Test
    void aFreshProxyListsItsSeriesAtZero() throws Exception {
        try (BitsBridgeServer p = proxy("ops", fx.s3().endpoint(), fx.s3().credentials())) {
            String m = metrics(p.port());
            for (String series : new String[] {"bitsbridge_sent_bytes_total", "bitsbridge_received_bytes_total",
                "bitsbridge_upstream_retries_total{reason=\"http_503\"}",
                "bitsbridge_upstream_retries_total{reason=\"http_500\"}",
                "bitsbridge_upstream_retries_total{reason=\"connect_failed\"}",
                "bitsbridge_upstream_retries_total{reason=\"closed_before_response\"}",
                "bitsbridge_upstream_retries_total{reason=\"truncated\"}",
                "bitsbridge_upstream_errors_total{kind=\"connect_failed\"}",
                "bitsbridge_upstream_errors_total{kind=\"timeout\"}",
                "bitsbridge_upstream_errors_total{kind=\"credentials\"}",
                "bitsbridge_upstream_errors_total{kind=\"http_503\"}",
                "bitsbridge_upstream_errors_total{kind=\"http_500\"}",
                "bitsbridge_transfers_active"}) {
                assertEquals(0.0, value(m, series), series + " is not listed at 0 in:\n" + m);
            }
        }
    }

    /**
     * The JVM series are bound in the background a while after start (so that loading JMX does not
     * slow the first request); a scrape that comes before that has them all the same.
     */
    @Test
    void theFirstScrapeAlreadyHasTheJvmSeries() throws Exception {
        try (BitsBridgeServer p = proxy("ops", fx.s3().endpoint(), fx.s3().credentials())) {
            String m = metrics(p.port());
            assertTrue(m.contains("jvm_memory_used_bytes{"), m);
            assertTrue(m.contains("jvm_threads_live_threads"), m);
            assertTrue(m.contains("process_uptime_seconds"), m);
        }
        String fresh = new ProxyMetrics().scrape();
        assertTrue(fresh.contains("jvm_classes_loaded_classes"), fresh);
    }

    /**
     * The sent-bytes counter moves while a response is still going: a client reads 1 MiB of a
     * 24 MiB object and stops; the counter shows at least that MiB (counted when its write to the
     * socket completed, not when the response ends) and less than the object.
     */
    @Test
    void sentBytesMoveDuringATransferToASlowClient() throws Exception {
        int size = 24 * 1024 * 1024;
        byte[] big = new byte[size];
        new Random(10).nextBytes(big);
        fx.s3().put("ops", "big.bin", big);
        try (BitsBridgeServer p = proxy("ops", fx.s3().endpoint(), fx.s3().credentials());
                dev.bitsbridge.proxy.testing.RawHttp slow = dev.bitsbridge.proxy.testing.RawHttp.connect(p.port(),
                        16 * 1024)) {
            slow.send(dev.bitsbridge.proxy.testing.RawHttp.get("/big.bin"));
            assertEquals(200, slow.readHead().status());
            java.io.ByteArrayOutputStream first = new java.io.ByteArrayOutputStream();
            assertTrue(slow.readBody(first, 1024 * 1024));
            assertArrayEquals(java.util.Arrays.copyOf(big, 1024 * 1024), first.toByteArray());
            // From here the client reads nothing: the response cannot end.
            // The counter also counts the scrapes' own bodies: subtract those read so far.
            long scraped = 0;
            double sent = 0;
            String m = "";
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (sent < 1024 * 1024 && System.nanoTime() < deadline) {
                m = metrics(p.port());
                sent = value(m, "bitsbridge_sent_bytes_total") - scraped;
                scraped += m.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            }
            assertTrue(sent >= 1024 * 1024 && sent < size, "sent " + sent + " of " + size + ":\n" + m);
            // Still one download in progress: the counter moved before the response ended.
            assertEquals(1.0, value(m, "bitsbridge_transfers_active"), m);
        }
    }

    @Test
    void uploadedBytesAreCountedAsReceived(@org.junit.jupiter.api.io.TempDir java.nio.file.Path state) throws Exception {
        try (BitsBridgeServer p = new BitsBridgeServer(ProxyConfig.builder().port(0).bucket("ops")
                .endpoint(fx.s3().endpoint()).stateDir(state).allowUpload(true).build(), fx.s3().credentials()).start();
                dev.bitsbridge.proxy.testing.BitsUploadClient bits = new dev.bitsbridge.proxy.testing.BitsUploadClient(p.port())) {
            remember(p);
            assertEquals(0.0, value(metrics(p.port()), "bitsbridge_received_bytes_total"));
            byte[] data = new byte[300_001];
            new Random(9).nextBytes(data);
            assertEquals(200, bits.upload("/in/metrics.bin", data, 100_000).status());
            String m = metricsWhen(p.port(), s -> value(s, "bitsbridge_received_bytes_total") == data.length);
            assertEquals((double) data.length, value(m, "bitsbridge_received_bytes_total"), m);
            assertArrayEquals(data, fx.s3().client().getObjectAsBytes(b -> b.bucket("ops").key("in/metrics.bin")).asByteArray());
        }
    }

    @Test
    void readyWhenTheBucketAnswersASignedHead() throws Exception {
        try (BitsBridgeServer p = proxy("ops", fx.s3().endpoint(), fx.s3().credentials())) {
            HttpResponse<byte[]> r = send(p.port(), "GET", "/_bitsbridge/ready", null);
            JsonNode j = JSON.readTree(r.body());
            assertEquals(200, r.statusCode(), j.toString());
            assertEquals("application/json", r.headers().firstValue("content-type").orElse(""));
            assertEquals("ready", j.path("status").asText());
            assertEquals("ok", j.path("checks").path("s3").asText());
            assertEquals("ok", j.path("checks").path("credentials").asText());
            // Liveness is unchanged and independent.
            assertEquals(200, send(p.port(), "GET", "/_bitsbridge/health", null).statusCode());
        }
    }

    @Test
    void notReadyWhenS3IsUnreachableAndTheFailuresAreCounted() throws Exception {
        int dead;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            dead = s.getLocalPort();
        }
        try (BitsBridgeServer p = proxy("ops", URI.create("http://127.0.0.1:" + dead), fx.s3().credentials())) {
            HttpResponse<byte[]> r = send(p.port(), "GET", "/_bitsbridge/ready", null);
            JsonNode j = JSON.readTree(r.body());
            assertEquals(503, r.statusCode(), j.toString());
            assertEquals("not_ready", j.path("status").asText());
            assertTrue(j.path("reason").asText().startsWith("S3 unreachable"), j.toString());
            assertEquals(502, send(p.port(), "GET", "/data.bin", null).statusCode());
            String m = metricsWhen(p.port(), s -> value(s,
                    "bitsbridge_requests_total{method=\"GET\",outcome=\"complete\",status=\"502\"}") == 1.0);
            assertTrue(value(m, "bitsbridge_upstream_errors_total{kind=\"connect_failed\"}") >= 2, m);
            assertTrue(value(m, "bitsbridge_upstream_retries_total{reason=\"connect_failed\"}") >= 1, m);
        }
    }

    @Test
    void notReadyWhenTheBucketDoesNotExist() throws Exception {
        try (BitsBridgeServer p = proxy("no-such-bucket", fx.s3().endpoint(), fx.s3().credentials())) {
            HttpResponse<byte[]> r = send(p.port(), "GET", "/_bitsbridge/ready", null);
            JsonNode j = JSON.readTree(r.body());
            assertEquals(503, r.statusCode(), j.toString());
            assertTrue(j.path("reason").asText().contains("does not exist"), j.toString());
        }
    }

    @Test
    void notReadyWhenS3RefusesTheCredentials() throws Exception {
        AwsCredentialsProvider wrong = StaticCredentialsProvider.create(
                AwsBasicCredentials.create(S3Server.ACCESS_KEY, "not-the-secret"));
        try (BitsBridgeServer p = proxy("ops", fx.s3().endpoint(), wrong)) {
            HttpResponse<byte[]> r = send(p.port(), "GET", "/_bitsbridge/ready", null);
            JsonNode j = JSON.readTree(r.body());
            assertEquals(503, r.statusCode(), j.toString());
            assertTrue(j.path("reason").asText().contains("403"), j.toString());
            assertTrue(!r.toString().contains("not-the-secret") && !j.toString().contains("not-the-secret"));
        }
    }

    @Test
    void notReadyWhenCredentialsCannotBeLoaded() throws Exception {
        AwsCredentialsProvider none = () -> {
            throw SdkClientException.create("no credentials in this test");
        };
        try (BitsBridgeServer p = proxy("ops", fx.s3().endpoint(), none)) {
            HttpResponse<byte[]> r = send(p.port(), "GET", "/_bitsbridge/ready", null);
            JsonNode j = JSON.readTree(r.body());
            assertEquals(503, r.statusCode(), j.toString());
            assertTrue(j.path("reason").asText().startsWith("credentials unavailable"), j.toString());
            assertEquals("failed", j.path("checks").path("credentials").asText());
            String m = metricsWhen(p.port(), s -> value(s, "bitsbridge_upstream_errors_total{kind=\"credentials\"}") >= 1);
            assertTrue(value(m, "bitsbridge_upstream_errors_total{kind=\"credentials\"}") >= 1, m);
        }
    }

    @Test
    void opsEndpointsAreReadOnly() throws Exception {
        try (BitsBridgeServer p = proxy("ops", fx.s3().endpoint(), fx.s3().credentials())) {
            HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + p.port() + "/_bitsbridge/metrics"))
                    .header("Authorization", "Bearer " + p.adminToken()).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(405, r.statusCode());
        }
    }
}
