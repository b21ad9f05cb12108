package dev.bitsbridge.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bitsbridge.proxy.testing.RawHttp;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * Links, the admin token and one-time share links across three {@code bitsbridge serve} processes
 * behind nginx (docs/scale-out.md, {@link Cluster}): what one instance registers or spends, every
 * instance knows, whichever instance the balancer picks for each request.
 */
@DisabledOnOs(OS.WINDOWS) // nginx
class ClusterStateTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static Cluster cluster;
    private static byte[] data;
    private static String adminToken;

    @BeforeAll
    static void start() throws Exception {
        cluster = new Cluster(3);
        data = new byte[8 * 1024 * 1024 + 77];
        new Random(23).nextBytes(data);
        cluster.s3().put(Cluster.BUCKET, "tools/setup.exe", data);
        adminToken = Files.readString(cluster.stateDir(0).resolve("admin-token")).strip();
    }

    @AfterAll
    static void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void everyInstanceHoldsTheClusterAdminToken() throws Exception {
        for (int i = 1; i < cluster.size(); i++) {
            assertEquals(adminToken, Files.readString(cluster.stateDir(i).resolve("admin-token")).strip(), "instance " + i);
        }
        // and each one accepts it (asked directly, not through the balancer)
        for (int i = 0; i < cluster.size(); i++) {
            assertEquals(200, admin(URI.create("http://127.0.0.1:" + cluster.port(i) + "/_bitsbridge/links"), "GET", null)
                    .statusCode(), "instance " + i);
        }
    }

    @Test
    void theSharedStateIsNotServedThroughTheProxy() throws Exception {
        // The state shares the served bucket (Cluster): the admin token and share keys are objects in it.
        List<String> keys = cluster.s3().client().listObjectsV2(r -> r.bucket(Cluster.STATE_BUCKET).prefix(Cluster.STATE_PREFIX))
                .contents().stream().map(o -> o.key()).toList();
        assertTrue(keys.stream().anyMatch(k -> k.contains("share/admin-token/")), keys.toString());
        assertTrue(keys.stream().anyMatch(k -> k.contains("share/secret/")), keys.toString());
        for (String key : keys) {
            for (String method : new String[] {"GET", "HEAD"}) {
                RawHttp.Response r = RawHttp.exchange(cluster.port(),
                        method + " /" + key + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
                assertEquals(400, r.status(), method + " " + key);
                assertTrue(!r.text().contains(adminToken), "the token never in an answer");
            }
        }
    }

    @Test
    void aLinkRegisteredThroughTheBalancerIsServedByteExactByAllThree() throws Exception {
        String presigned;
        try (S3Presigner presigner = S3Presigner.builder().endpointOverride(cluster.s3().endpoint())
                .region(Region.US_EAST_1).credentialsProvider(cluster.s3().credentials())
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build()).build()) {
            presigned = presigner.presignGetObject(r -> r.signatureDuration(Duration.ofMinutes(10))
                    .getObjectRequest(g -> g.bucket(Cluster.BUCKET).key("tools/setup.exe"))).url().toString();
        }
        HttpResponse<byte[]> created = admin(URI.create("http://127.0.0.1:" + cluster.port() + "/_bitsbridge/links"), "POST",
                JSON.createObjectNode().put("url", presigned).put("name", "setup.exe").toString());
        assertEquals(201, created.statusCode(), new String(created.body(), StandardCharsets.UTF_8));
        JsonNode link = JSON.readTree(created.body());
        // The balancer passes the client's Host: the link names the balancer, not an instance.
        String path = "/_bitsbridge/l/" + link.get("id").asText() + "/setup.exe";
        assertEquals("http://127.0.0.1:" + cluster.port() + path, link.get("url").asText());

        int before = cluster.nginx().log().size();
        for (int i = 0; i < 3; i++) {
            RawHttp.Response r = RawHttp.exchange(cluster.port(), RawHttp.get(path));
            assertEquals(200, r.status(), r.toString());
            assertArrayEquals(data, r.body(), "through the balancer, request " + i);
        }
        Set<Integer> served = new TreeSet<>();
        cluster.nginx().log(before + 3).subList(before, before + 3).forEach(l -> served.add(cluster.instanceAt(l.upstream())));
        assertEquals(Set.of(0, 1, 2), served, "round robin: each instance served the link once");
        for (int i = 0; i < cluster.size(); i++) {
            RawHttp.Response whole = RawHttp.exchange(cluster.port(i), RawHttp.get(path));
            assertEquals(200, whole.status(), "instance " + i + " directly");
            assertArrayEquals(data, whole.body(), "instance " + i + " directly");
            RawHttp.Response range = RawHttp.exchange(cluster.port(i), RawHttp.get(path, "Range: bytes=4194000-4194999"));
            assertEquals(206, range.status(), "instance " + i + " directly");
            assertArrayEquals(Arrays.copyOfRange(data, 4194000, 4195000), range.body());
        }
    }

    @Test
    void twentyConcurrentGetsOfAOneTimeLinkDeliverItOnceWhole() throws Exception {
        HttpResponse<byte[]> minted = admin(URI.create("http://127.0.0.1:" + cluster.port() + "/_bitsbridge/shares"), "POST",
                JSON.createObjectNode().put("key", "tools/setup.exe").put("expires", "10m").put("once", true).toString());
        assertEquals(201, minted.statusCode(), new String(minted.body(), StandardCharsets.UTF_8));
        String token = JSON.readTree(minted.body()).get("token").asText();
        String request = RawHttp.get("/tools/setup.exe?token=" + token);

        int before = cluster.nginx().log().size();
        int clients = 20;
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Future<RawHttp.Response>> answers = new ArrayList<>();
        try {
            for (int i = 0; i < clients; i++) {
                answers.add(pool.submit(() -> {
                    go.await();
                    return RawHttp.exchange(cluster.port(), request);
                }));
            }
            go.countDown();
            Map<Integer, Integer> statuses = new TreeMap<>();
            int whole = 0;
            for (Future<RawHttp.Response> f : answers) {
                RawHttp.Response r = f.get();
                statuses.merge(r.status(), 1, Integer::sum);
                if (r.status() == 200) {
                    assertTrue(r.complete(), "a 200 is never cut short");
                    assertArrayEquals(data, r.body(), "the delivery is byte-exact");
                    whole++;
                } else {
                    assertTrue(r.status() == 409 || r.status() == 410, "refused with 409 (in use) or 410 (spent): " + r);
                }
            }
            assertEquals(1, whole, "exactly one whole delivery: " + statuses);
        } finally {
            pool.shutdownNow();
        }
        Set<Integer> served = new TreeSet<>();
        cluster.nginx().log(before + clients).subList(before, before + clients)
                .forEach(l -> served.add(cluster.instanceAt(l.upstream())));
        assertEquals(Set.of(0, 1, 2), served, "the requests reached every instance");
        // Spent everywhere: each instance, asked directly, refuses it.
        for (int i = 0; i < cluster.size(); i++) {
            assertEquals(410, RawHttp.exchange(cluster.port(i), request).status(), "instance " + i);
        }
    }

    private static HttpResponse<byte[]> admin(URI uri, String method, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + adminToken)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }
}
