package dev.bitsbridge.proxy.share;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.config.SharedStateConfig;
import dev.bitsbridge.proxy.s3.S3SharedState;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.Await;
import dev.bitsbridge.proxy.testing.RawHttp;
import dev.bitsbridge.proxy.testing.S3Server;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * Scale-out (#19): three {@link BitsBridgeServer}s in one process sharing one state bucket on
 * s3proxy, each request sent to another of them (what a round-robin balancer does). Links, share
 * keys, the admin token and one-time links behave as one proxy's.
 */
class InProcessClusterTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final byte[] DATA = new byte[6 * 1024 * 1024 + 5];
    private static final Duration VALIDITY = Duration.ofMillis(700);

    private static S3Server s3;
    private static S3Presigner presigner;
    private static final List<BitsBridgeServer> nodes = new ArrayList<>();
    private static final List<Path> dirs = new ArrayList<>();
    private static S3SharedState state;

    @BeforeAll
    static void start() throws Exception {
        new Random(19).nextBytes(DATA);
        s3 = new S3Server();
        s3.createBucket("data");
        s3.createBucket("state");
        s3.put("data", "setup.exe", DATA);
        presigner = S3Presigner.builder().endpointOverride(s3.endpoint()).region(Region.US_EAST_1)
                .credentialsProvider(s3.credentials())
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build()).build();
        for (int i = 0; i < 3; i++) {
            Path dir = Files.createTempDirectory("bitsbridge-node");
            dirs.add(dir);
            nodes.add(new BitsBridgeServer(config(dir), s3.credentials()).start());
        }
        state = S3SharedState.create(config(null), s3.credentials(), null);
    }

    private static ProxyConfig config(Path dir) {
        return ProxyConfig.builder().port(0).bucket("data").endpoint(s3.endpoint()).stateDir(dir)
                .allowUpstream(List.of("127.0.0.1:" + s3.endpoint().getPort()))
                .sharedState(SharedStateConfig.OFF.withBucket("state").withValidity(VALIDITY)).build();
    }

    @AfterAll
    static void stop() throws Exception {
        for (BitsBridgeServer n : nodes) {
            n.stop(Duration.ZERO);
        }
        if (state != null) {
            state.close();
        }
        presigner.close();
        s3.close();
        for (Path d : dirs) {
            try (var files = Files.walk(d)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static URI base(int node) {
        return URI.create("http://127.0.0.1:" + nodes.get(node).port());
    }

    private static HttpResponse<byte[]> admin(int node, String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(base(node).resolve(path))
                .header("Authorization", "Bearer " + nodes.get(node).adminToken())
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static HttpResponse<byte[]> get(URI uri, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri);
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void everyInstanceHasTheSameAdminToken() throws Exception {
        String token = nodes.get(0).adminToken();
        assertEquals(token, nodes.get(1).adminToken());
        assertEquals(token, nodes.get(2).adminToken());
        // and a copy in each one's state folder, for the operator's tools on that machine
        assertEquals(token, Files.readString(dirs.get(2).resolve("admin-token")).strip());
    }

    @Test
    void aLinkRegisteredOnOneInstanceIsServedByEveryOtherAndItsDeleteReachesThem() throws Exception {
        String url = presigner.presignGetObject(r -> r.signatureDuration(Duration.ofMinutes(10))
                .getObjectRequest(g -> g.bucket("data").key("setup.exe"))).url().toString();
        HttpResponse<byte[]> created = admin(0, "POST", "/_bitsbridge/links",
                JSON.createObjectNode().put("url", url).put("name", "setup.exe").toString());
        assertEquals(201, created.statusCode(), new String(created.body(), StandardCharsets.UTF_8));
        JsonNode link = JSON.readTree(created.body());
        String path = "/_bitsbridge/l/" + link.get("id").asText() + "/setup.exe";
        for (int node : new int[] {1, 2, 0}) {
            HttpResponse<byte[]> whole = get(base(node).resolve(path));
            assertEquals(200, whole.statusCode(), "node " + node);
            assertArrayEquals(DATA, whole.body(), "node " + node);
        }
        HttpResponse<byte[]> range = get(base(2).resolve(path), "Range", "bytes=1000-1999");
        assertEquals(206, range.statusCode());
        assertArrayEquals(java.util.Arrays.copyOfRange(DATA, 1000, 2000), range.body());
        // the listing and the link's description on another instance
        JsonNode listed = JSON.readTree(admin(1, "GET", "/_bitsbridge/links", null).body());
        assertTrue(listed.get("count").asInt() >= 1, listed.toString());
        assertEquals(200, admin(2, "GET", "/_bitsbridge/links/" + link.get("id").asText(), null).statusCode());

        assertEquals(200, admin(1, "DELETE", "/_bitsbridge/links/" + link.get("id").asText(), null).statusCode());
        assertEquals(404, get(base(1).resolve(path)).statusCode(), "the deleting instance knows at once");
        // the others within --state-validity
        Await.until(Duration.ofSeconds(5), () -> get(base(2).resolve(path)).statusCode() == 404
                && get(base(0).resolve(path)).statusCode() == 404, () -> "the delete reached every instance");
        assertEquals(404, get(base(1).resolve("/_bitsbridge/l/00112233445566778899aabbccddeeff/x")).statusCode());
    }

    @Test
    void aShareLinkMintedByOneInstanceWorksOnAllAndARotationReachesAll() throws Exception {
        HttpResponse<byte[]> minted = admin(1, "POST", "/_bitsbridge/shares",
                JSON.createObjectNode().put("key", "setup.exe").put("expires", "10m").toString());
        assertEquals(201, minted.statusCode(), new String(minted.body(), StandardCharsets.UTF_8));
        String token = JSON.readTree(minted.body()).get("token").asText();
        for (int node = 0; node < 3; node++) {
            HttpResponse<byte[]> r = get(base(node).resolve("/setup.exe?token=" + token), "Range", "bytes=0-99");
            assertEquals(206, r.statusCode(), "node " + node);
            assertArrayEquals(java.util.Arrays.copyOf(DATA, 100), r.body());
        }
        // what `bitsbridge share --rotate-secret` does in shared mode: every instance refuses the old key
        ShareSecret.rotate(state, false);
        for (int node = 0; node < 3; node++) {
            URI u = base(node).resolve("/setup.exe?token=" + token);
            Await.until(Duration.ofSeconds(5), () -> get(u, "Range", "bytes=0-99").statusCode() == 403,
                    () -> "the state reached every instance");
        }
        // a link signed with the new key (here by another client of the bucket) works everywhere
        ShareLinks cli = new ShareLinks(ShareSecret.shared(state), java.time.Clock.systemUTC());
        String fresh = cli.sign(cli.newToken("setup.exe", Duration.ofMinutes(5), false, false));
        for (int node = 0; node < 3; node++) {
            assertEquals(206, get(base(node).resolve("/setup.exe?token=" + fresh), "Range", "bytes=0-9").statusCode());
        }
    }

    @Test
    void twentyConcurrentGetsOfAOneTimeLinkAcrossThreeInstancesDeliverItOnce() throws Exception {
        ShareLinks links = new ShareLinks(ShareSecret.shared(state), java.time.Clock.systemUTC());
        String path = "/setup.exe?token=" + links.sign(links.newToken("setup.exe", Duration.ofMinutes(5), true, false));
        ExecutorService pool = Executors.newFixedThreadPool(20);
        List<Future<RawHttp.Response>> answers = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                int port = nodes.get(i % 3).port();
                answers.add(pool.submit(() -> RawHttp.exchange(port, RawHttp.get(path))));
            }
            int whole = 0;
            int busy = 0;
            int gone = 0;
            for (Future<RawHttp.Response> f : answers) {
                RawHttp.Response r = f.get();
                if (r.status() == 200) {
                    assertArrayEquals(DATA, r.body(), "the one delivery is byte-exact");
                    whole++;
                } else if (r.status() == 409) {
                    busy++;
                } else {
                    assertEquals(410, r.status(), r.toString());
                    gone++;
                }
            }
            assertEquals(1, whole, "exactly one whole delivery (409: " + busy + ", 410: " + gone + ")");
        } finally {
            pool.shutdownNow();
        }
        // spent everywhere, including on instances that never served it
        for (int node = 0; node < 3; node++) {
            int port = nodes.get(node).port();
            Await.until(Duration.ofSeconds(5), () -> RawHttp.exchange(port, RawHttp.get(path)).status() == 410,
                    () -> "the state reached every instance");
            assertEquals(410, RawHttp.exchange(port, "HEAD " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Connection: close\r\n\r\n").status());
        }
    }

    @Test
    void aClaimLeftByAKilledInstanceIsTakenOverOnceItsLeaseRunsOut() throws Exception {
        ShareLinks links = new ShareLinks(ShareSecret.shared(state), java.time.Clock.systemUTC());
        ShareToken t = links.newToken("setup.exe", Duration.ofMinutes(5), true, false);
        String path = "/setup.exe?token=" + links.sign(t);
        // an instance claimed the link and died: its lease is in the ledger, renewed no more
        OnceRecord dead = new OnceRecord();
        dead.expires = t.expiresEpochSecond();
        dead.leaseOwner = "killed-instance/1";
        dead.leaseUntil = System.currentTimeMillis() + 3000;
        state.create(SharedOnceLedger.nameOf(t), dead.toJson());
        assertEquals(409, RawHttp.exchange(nodes.get(0).port(), RawHttp.get(path)).status(), "held while the lease runs");
        Thread.sleep(Math.max(0, dead.leaseUntil + 100 - System.currentTimeMillis())); // no renewal comes
        RawHttp.Response r = RawHttp.exchange(nodes.get(1).port(), RawHttp.get(path));
        assertEquals(200, r.status(), r.toString());
        assertArrayEquals(DATA, r.body());
        int port = nodes.get(2).port();
        Await.until(Duration.ofSeconds(5), () -> RawHttp.exchange(port, RawHttp.get(path)).status() == 410,
                    () -> "the state reached every instance");
        OnceRecord after = OnceRecord.parse(state.get(SharedOnceLedger.nameOf(t)).body());
        assertTrue(after.spent);
        assertEquals(null, after.leaseOwner, "the lease dropped with the merge");
        assertNotEquals(0, after.served);
    }
}
