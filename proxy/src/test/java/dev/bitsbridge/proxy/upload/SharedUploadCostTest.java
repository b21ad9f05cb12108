package dev.bitsbridge.proxy.upload;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.config.SharedStateConfig;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.Await;
import dev.bitsbridge.proxy.testing.BitsUploadClient;
import dev.bitsbridge.proxy.testing.BitsUploadClient.Answer;
import dev.bitsbridge.proxy.testing.ProxyFixture;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.core.sync.ResponseTransformer;

/**
 * What an upload costs in S3 requests in shared mode, counted at a forwarder (WireMock, Host kept so
 * signatures hold) in front of s3proxy: the figures of docs/scale-out.md. The upload's own requests
 * (spills, parts, completion) are asserted; the shared-state requests (the session record) are
 * counted and printed, since they are {@code S3SharedState}'s to decide.
 */
class SharedUploadCostTest {

    static final int MIB = 1024 * 1024;
    static final String STATE = "cost-state";

    @RegisterExtension
    static final ProxyFixture fx = ProxyFixture.builder().bucket("cost").withoutProxy().build();

    WireMockServer wm;

    @BeforeAll
    static void stateBucket() {
        fx.s3().createBucket(STATE);
    }

    @BeforeEach
    void forwarder() {
        wm = new WireMockServer(wireMockConfig().bindAddress("127.0.0.1").port(0).preserveHostHeader(true));
        wm.start();
        wm.stubFor(any(anyUrl()).willReturn(aResponse().proxiedFrom(fx.s3().endpoint().toString())));
    }

    @AfterEach
    void stopForwarder() {
        wm.stop();
    }

    /** "PUT spill", "GET state" ...: each request's operation, by bucket and query. */
    static String kind(ServeEvent e) {
        String url = e.getRequest().getUrl();
        String method = e.getRequest().getMethod().getName();
        String where = url.startsWith("/" + STATE) ? (url.contains("/spill/") ? "spill" : "state") : "object";
        String op;
        if (url.contains("partNumber=") && e.getRequest().containsHeader("x-amz-copy-source")) {
            op = "UploadPartCopy";
        } else if (url.contains("partNumber=")) {
            op = "UploadPart";
        } else if (url.contains("uploads") && method.equals("POST")) {
            op = "CreateMultipartUpload";
        } else if (url.contains("uploadId=") && method.equals("POST")) {
            op = "CompleteMultipartUpload";
        } else if (url.contains("list-type=2")) {
            op = "LIST";
        } else {
            op = method;
        }
        return op + " " + where;
    }

    Map<String, Integer> counted() {
        Map<String, Integer> m = new TreeMap<>();
        for (ServeEvent e : wm.getAllServeEvents()) {
            m.merge(kind(e), 1, Integer::sum);
        }
        return m;
    }

    @Test
    void requestsPerFragmentAndPerClose() throws Exception {
        BitsBridgeServer server = new BitsBridgeServer(ProxyConfig.builder().port(0).bucket("cost")
                .endpoint(URI.create("http://127.0.0.1:" + wm.port())).stateDir(fx.newDir()).allowUpload(true)
                .uploadPartSize(5L * MIB).sharedState(new SharedStateConfig(STATE, null, Duration.ofSeconds(10)))
                .build(), fx.s3().credentials()).start();
        byte[] data = new byte[12 * MIB + 5];
        new Random(1).nextBytes(data);
        String path = "/costly.bin";
        try (server; BitsUploadClient c = new BitsUploadClient(server.port())) {
            // Let the start-up work (the probe's PUTs and DELETE, the sweep's LIST) finish, then count.
            Await.until(Duration.ofSeconds(30), () -> counted().getOrDefault("DELETE object", 0) >= 1
                    && counted().getOrDefault("LIST state", 0) >= 1, () -> "start-up: " + counted());
            wm.resetRequests();
            String session = c.createSession(path).header("BITS-Session-Id");
            Map<String, Integer> create = counted();
            wm.resetRequests();
            // Part 1 from five 1 MiB fragments (five spills), part 2 from one 5 MiB fragment, part 3 the rest.
            for (int i = 0; i < 5; i++) {
                assertEquals(200, c.fragment(path, session, data, i * MIB, MIB).status());
            }
            assertEquals(200, c.fragment(path, session, data, 5 * MIB, 5 * MIB).status());
            Await.until(Duration.ofSeconds(30), () -> counted().getOrDefault("UploadPartCopy object", 0) == 1
                    && counted().getOrDefault("UploadPart object", 0) == 1, () -> "parts 1 and 2 made: " + counted());
            Await.until(Duration.ofSeconds(30), () -> counted().getOrDefault("DELETE spill", 0) == 6,
                    () -> "their spills deleted: " + counted());
            Map<String, Integer> fragments = counted();
            wm.resetRequests();
            Answer last = c.fragment(path, session, data, 10 * MIB, data.length - 10 * MIB);
            assertEquals(200, last.status(), last.headers().toString());
            Map<String, Integer> completion = counted();
            System.out.println("shared-mode S3 requests: create-session " + create);
            System.out.println("shared-mode S3 requests: 6 fragments (7 spills, parts 1 and 2 made) " + fragments);
            System.out.println("shared-mode S3 requests: last fragment and completion " + completion);
            assertEquals(1, create.get("CreateMultipartUpload object"));
            assertEquals(6, fragments.get("PUT spill"), "one spill per fragment (none crosses a part boundary)");
            assertEquals(5, fragments.get("GET spill"), "part 1 is five spills, read back once");
            assertEquals(1, completion.get("PUT spill"));
            assertEquals(1, completion.get("UploadPartCopy object"), "part 3 is one spill: copied inside S3");
            assertEquals(1, completion.get("CompleteMultipartUpload object"));
        }
        assertArrayEquals(data, fx.s3().client().getObject(r -> r.bucket("cost").key("costly.bin"),
                ResponseTransformer.toBytes()).asByteArray());
    }
}
