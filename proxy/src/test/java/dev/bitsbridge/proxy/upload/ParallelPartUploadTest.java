package dev.bitsbridge.proxy.upload;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matching;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.BitsUploadClient;
import dev.bitsbridge.proxy.testing.BitsUploadClient.Answer;
import dev.bitsbridge.proxy.testing.ProxyFixture;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * Fragments acknowledged once on disk, parts uploaded in the background (issue #13): s3proxy is the
 * bucket (signatures checked), with WireMock in front of it as a plain forwarder (the Host header
 * kept, so signatures hold) that delays or fails chosen part uploads.
 */
class ParallelPartUploadTest {

    static final int PART = 5 * 1024 * 1024;
    static final String PARTS = "/par/.*";

    @RegisterExtension
    static final ProxyFixture fx = ProxyFixture.builder().bucket("par").withoutProxy().build();

    @TempDir
    Path state;

    WireMockServer wm;

    @BeforeEach
    void forwarder() {
        wm = new WireMockServer(wireMockConfig().bindAddress("127.0.0.1").port(0).preserveHostHeader(true));
        wm.start();
        wm.stubFor(any(anyUrl()).atPriority(10).willReturn(aResponse().proxiedFrom(fx.s3().endpoint().toString())));
    }

    @AfterEach
    void stopForwarder() {
        wm.stop();
    }

    BitsBridgeServer proxy(int parallelism) throws Exception {
        return new BitsBridgeServer(ProxyConfig.builder().port(0).bucket("par")
                .endpoint(URI.create("http://127.0.0.1:" + wm.port())).stateDir(state).allowUpload(true)
                .uploadPartSize(PART).uploadParallelism(parallelism).build(), fx.s3().credentials()).start();
    }

    static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    static byte[] object(String key) {
        return fx.s3().client().getObject(r -> r.bucket("par").key(key), ResponseTransformer.toBytes()).asByteArray();
    }

    static boolean exists(String key) {
        try {
            fx.s3().client().headObject(r -> r.bucket("par").key(key));
            return true;
        } catch (NoSuchKeyException e) {
            return false;
        }
    }

    /** Part uploads of one key (PUT with partNumber) are delayed: they overlap if they run in parallel. */
    void slowParts(int delayMs) {
        wm.stubFor(put(urlPathMatching(PARTS)).withQueryParam("partNumber", matching("\\d+")).atPriority(1)
                .willReturn(aResponse().proxiedFrom(fx.s3().endpoint().toString()).withFixedDelay(delayMs)));
    }

    /** One client for every scrape: one keep-alive connection, as a Prometheus server holds. */
    static final java.net.http.HttpClient METRICS_CLIENT = java.net.http.HttpClient.newHttpClient();

    /** The proxy's bitsbridge_upload_parts_inflight gauge, scraped as Prometheus would (admin token). */
    int partsInFlight(int port) {
        try {
            String token = java.nio.file.Files.readString(state.resolve("admin-token")).strip();
            java.net.http.HttpResponse<String> r = METRICS_CLIENT.send(
                    java.net.http.HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/_bitsbridge/metrics"))
                            .header("Authorization", "Bearer " + token).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            java.util.regex.Matcher m = java.util.regex.Pattern
                    .compile("(?m)^bitsbridge_upload_parts_inflight (\\S+)$").matcher(r.body());
            if (!m.find()) {
                throw new AssertionError("no bitsbridge_upload_parts_inflight in " + r.statusCode() + " " + r.body().lines().filter(l -> l.contains("upload")).toList());
            }
            return (int) Double.parseDouble(m.group(1));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** The most part uploads WireMock had open at once, from its journal (start and total time). */
    int mostPartsAtOnce() {
        List<long[]> spans = new ArrayList<>();
        for (ServeEvent e : wm.getAllServeEvents()) {
            if (e.getRequest().getUrl().contains("partNumber=")) {
                long start = e.getRequest().getLoggedDate().getTime();
                spans.add(new long[] {start, start + e.getTiming().getTotalTime()});
            }
        }
        int most = 0;
        for (long[] a : spans) {
            int open = 0;
            for (long[] b : spans) {
                if (b[0] <= a[0] && a[0] < b[1]) {
                    open++;
                }
            }
            most = Math.max(most, open);
        }
        return most;
    }

    @Test
    void partsGoUpInParallelNeverMoreThanTheLimitAndTheObjectIsByteExact() throws Exception {
        byte[] data = random(8 * PART + 12_345, 1);
        slowParts(400);
        try (BitsBridgeServer server = proxy(2); BitsUploadClient c = new BitsUploadClient(server.port())) {
            // What an operator sees meanwhile: bitsbridge_upload_parts_inflight, sampled from /metrics.
            java.util.concurrent.atomic.AtomicInteger most = new java.util.concurrent.atomic.AtomicInteger(-1);
            java.util.concurrent.atomic.AtomicBoolean uploading = new java.util.concurrent.atomic.AtomicBoolean(true);
            Thread sampler = new Thread(() -> {
                while (uploading.get()) {
                    most.accumulateAndGet(partsInFlight(server.port()), Math::max);
                    java.util.concurrent.locks.LockSupport.parkNanos(10_000_000); // a scrape every 10 ms
                }
            });
            sampler.start();
            Answer last;
            try {
                last = c.upload("/par/parallel.bin", data, 3 * 1024 * 1024 + 7);
            } finally {
                uploading.set(false);
                sampler.join();
            }
            assertEquals(200, last.status(), last.headers().toString());
            assertTrue(last.header("BITS-Reply-URL") != null, "the last fragment's ack means the object is in S3");
            assertEquals(2, most.get(), "the metric showed the two parts in flight, never more");
            assertEquals(0, partsInFlight(server.port()), "and none once the object is complete");
        }
        assertArrayEquals(data, object("par/parallel.bin"));
        String etag = fx.s3().client().headObject(r -> r.bucket("par").key("par/parallel.bin")).eTag();
        assertTrue(etag.endsWith("-9\""), etag);
        assertEquals(2, mostPartsAtOnce(), "two part uploads at a time (--upload-parallelism 2), never more");
    }

    /**
     * S3 holds none of the parts (their uploads hang), yet every fragment is acknowledged: the bytes
     * are on disk. The proxy then stops abruptly; after the restart the session resumes from the
     * spool at the acknowledged offset (not one byte lost), and the upload completes byte-exact.
     */
    @Test
    void fragmentsAreAcknowledgedFromDiskAndSurviveACrashBeforeAnyPartIsInS3() throws Exception {
        byte[] data = random(3 * PART + 4321, 2);
        String path = "/par/crash.bin";
        // Part uploads never reach s3proxy: they hang, then fail.
        wm.stubFor(put(urlPathMatching(PARTS)).withQueryParam("partNumber", matching("\\d+")).atPriority(1)
                .willReturn(aResponse().withStatus(503).withFixedDelay(2000)));
        String session;
        int acked = 2 * PART + 1_000_000;
        BitsBridgeServer first = proxy(4);
        try (BitsUploadClient c = new BitsUploadClient(first.port())) {
            session = c.createSession(path).header("BITS-Session-Id");
            for (int off = 0; off < acked; ) {
                int n = Math.min(2 * 1024 * 1024, acked - off);
                Answer a = c.fragment(path, session, data, off, n);
                assertEquals(200, a.status(), a.headers().toString());
                off += n;
                assertEquals(String.valueOf(off), a.header("BITS-Received-Content-Range"));
            }
            List<MultipartUpload> uploads = fx.s3().client().listMultipartUploads(r -> r.bucket("par")).uploads();
            assertEquals(1, uploads.size());
            String uploadId = uploads.get(0).uploadId();
            assertEquals(0, fx.s3().client().listParts(r -> r.bucket("par").key("par/crash.bin").uploadId(uploadId))
                    .parts().size(), "S3 holds no part, yet " + acked + " bytes were acknowledged");
        }
        first.stop(Duration.ZERO); // no clean-up: what a crash leaves behind
        wm.resetMappings();
        wm.stubFor(any(anyUrl()).willReturn(aResponse().proxiedFrom(fx.s3().endpoint().toString())));
        try (BitsBridgeServer second = proxy(4); BitsUploadClient c = new BitsUploadClient(second.port())) {
            // The client resends from where it last knew: the server holds every acknowledged byte.
            Answer resumed = c.fragment(path, session, data, 0, 1024);
            assertEquals(200, resumed.status(), resumed.headers().toString());
            int off = Integer.parseInt(resumed.header("BITS-Received-Content-Range"));
            assertEquals(acked, off, "every acknowledged byte survived");
            Answer last = null;
            while (off < data.length) {
                int n = Math.min(2 * 1024 * 1024, data.length - off);
                last = c.fragment(path, session, data, off, n);
                assertEquals(200, last.status(), last.headers().toString());
                off = Integer.parseInt(last.header("BITS-Received-Content-Range"));
            }
            assertEquals(200, c.close(path, session).status());
        }
        assertArrayEquals(data, object("par/crash.bin"));
        assertEquals(0, fx.s3().client().listMultipartUploads(r -> r.bucket("par")).uploads().size());
    }

    /**
     * A part that S3 keeps failing makes completion answer 503 (BITS retries), with no object
     * written and no CompleteMultipartUpload sent; once S3 recovers, Close-Session completes it.
     */
    @Test
    void aFailingPartIsARetryableErrorAtCompletionAndTheRetryCompletes() throws Exception {
        byte[] data = random(3 * PART + 777, 3);
        String path = "/par/flaky.bin";
        wm.stubFor(put(urlPathMatching(PARTS)).withQueryParam("partNumber", equalTo("2")).atPriority(1)
                .willReturn(aResponse().withStatus(500)
                        .withBody("<Error><Code>InternalError</Code><Message>down</Message></Error>")));
        try (BitsBridgeServer server = proxy(4); BitsUploadClient c = new BitsUploadClient(server.port())) {
            String session = c.createSession(path).header("BITS-Session-Id");
            Answer last = null;
            for (int off = 0; off < data.length; ) {
                int n = Math.min(4 * 1024 * 1024, data.length - off);
                last = c.fragment(path, session, data, off, n);
                if (last.status() != 200) {
                    break;
                }
                off += n;
            }
            assertEquals(503, last.status(), last.headers().toString());
            assertEquals("0x801901F7", last.header("BITS-Error-Code"), "a transient S3 failure: BITS retries");
            assertTrue(last.header("X-Bitsbridge-Error").contains("UploadPart"), last.header("X-Bitsbridge-Error"));
            assertFalse(exists("par/flaky.bin"), "never a half-written object");
            wm.verify(0, postRequestedFor(urlPathMatching(PARTS)).withQueryParam("uploadId", matching(".+")));
            Answer closed = c.close(path, session);
            assertEquals(503, closed.status(), "Close-Session waits for the parts and reports the same");

            wm.removeStub(wm.getStubMappings().stream().filter(m -> m.getPriority() != null && m.getPriority() == 1)
                    .findFirst().orElseThrow());
            assertEquals(200, c.close(path, session).status(), "the retried Close-Session completes the upload");
            assertEquals(200, c.close(path, session).status(), "and stays idempotent");
        }
        assertArrayEquals(data, object("par/flaky.bin"));
        assertEquals(0, fx.s3().client().listMultipartUploads(r -> r.bucket("par")).uploads().size());
    }
}
