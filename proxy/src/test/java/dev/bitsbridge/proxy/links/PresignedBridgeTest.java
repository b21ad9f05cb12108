package dev.bitsbridge.proxy.links;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.config.SecurityConfig;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.Await;
import dev.bitsbridge.proxy.testing.MutableClock;
import dev.bitsbridge.proxy.testing.ProxyFixture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * The presigned-URL bridge end to end: a proxy that holds no credentials serves BITS-style HEAD
 * and ranged GETs from a registered presigned GET URL, against s3proxy checking signatures.
 */
class PresignedBridgeTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] BIG = new byte[3 * 1024 * 1024 + 17];

    static {
        new Random(42).nextBytes(BIG);
    }

    /** S3 only: the proxies here hold no credentials and serve links, each test its own. */
    @RegisterExtension
    static final ProxyFixture fx = ProxyFixture.builder().bucket("apps").withoutProxy()
            .object("setup.exe", BIG).object("empty.bin", new byte[0]).build();
    private static S3Presigner presigner;
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TempDir
    Path stateDir;

    @BeforeAll
    static void startPresigner() throws Exception {
        presigner = S3Presigner.builder()
                .endpointOverride(fx.s3().endpoint())
                .region(Region.US_EAST_1)
                .credentialsProvider(fx.s3().credentials())
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build())
                .build();
    }

    @AfterAll
    static void stopPresigner() throws Exception {
        presigner.close();
    }

    static String presignGet(String key, Duration ttl) {
        return presigner.presignGetObject(r -> r.signatureDuration(ttl).getObjectRequest(g -> g.bucket("apps").key(key)))
                .url().toString();
    }

    /** A proxy with no credentials at all: links need none. */
    private BitsBridgeServer start(Path state) throws Exception {
        BitsBridgeServer s = new BitsBridgeServer(ProxyConfig.builder().port(0).stateDir(state)
                .allowUpstream(java.util.List.of("127.0.0.1:" + fx.s3().endpoint().getPort())).build(), null).start();
        adminToken = s.adminToken();
        return s;
    }

    /** The running proxy's admin token: the link API needs it (the links it hands out do not). */
    private static String adminToken;

    private static HttpResponse<byte[]> send(HttpRequest.Builder b) throws Exception {
        HttpRequest r = b.build();
        if (r.uri().getPath().startsWith("/_bitsbridge/links")) {
            b.header("Authorization", "Bearer " + adminToken);
            if (r.method().equals("POST") || r.method().equals("PUT")) {
                b.setHeader("Content-Type", "application/json");
            }
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static JsonNode register(BitsBridgeServer server, String url, String name) throws Exception {
        String body = JSON.createObjectNode().put("url", url).put("name", name).toString();
        HttpResponse<byte[]> r = send(HttpRequest.newBuilder(base(server).resolve("/_bitsbridge/links"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json"));
        assertEquals(201, r.statusCode(), new String(r.body()));
        return JSON.readTree(r.body());
    }

    private static URI base(BitsBridgeServer server) {
        return URI.create("http://127.0.0.1:" + server.port());
    }

    @Test
    void presignedGetUrlAnswersHeadWith403ButTheLinkAnswers200() throws Exception {
        String url = presignGet("setup.exe", Duration.ofMinutes(10));
        HttpResponse<byte[]> direct = send(HttpRequest.newBuilder(URI.create(url))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()));
        assertEquals(403, direct.statusCode(), "the problem this bridge solves: HEAD on a GET-presigned URL");

        try (BitsBridgeServer server = start(stateDir)) {
            JsonNode link = register(server, url, "setup.exe");
            String local = link.path("url").asText();
            assertTrue(local.endsWith("/_bitsbridge/l/" + link.path("id").asText() + "/setup.exe"), local);
            assertFalse(link.path("expires").isNull());
            assertFalse(link.toString().contains("X-Amz-Signature"), "the signature is never echoed");

            HttpResponse<byte[]> head = send(HttpRequest.newBuilder(URI.create(local))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()));
            assertEquals(200, head.statusCode());
            assertEquals(String.valueOf(BIG.length), head.headers().firstValue("Content-Length").orElseThrow());
            assertEquals("bytes", head.headers().firstValue("Accept-Ranges").orElseThrow());
            assertTrue(head.headers().firstValue("Last-Modified").isPresent());
            assertTrue(head.headers().firstValue("ETag").isPresent());
            assertEquals(0, head.body().length);

            HttpResponse<byte[]> get = send(HttpRequest.newBuilder(URI.create(local)));
            assertEquals(200, get.statusCode());
            assertArrayEquals(BIG, get.body());

            HttpResponse<byte[]> multi = send(HttpRequest.newBuilder(URI.create(local)).header("Range", "bytes=10-19,0-4"));
            assertEquals(206, multi.statusCode());
            assertTrue(multi.headers().firstValue("Content-Type").orElseThrow().startsWith("multipart/byteranges"));
            assertEquals(String.valueOf(multi.body().length), multi.headers().firstValue("Content-Length").orElseThrow());

            HttpResponse<byte[]> info = send(HttpRequest.newBuilder(
                    base(server).resolve("/_bitsbridge/links/" + link.path("id").asText())));
            assertEquals(200, info.statusCode());
            assertFalse(new String(info.body()).contains("Signature"), "GET of a link never shows the signature");
        }
    }

    @Test
    void bitsStyleJobOverALinkReassemblesTheObject() throws Exception {
        try (BitsBridgeServer server = start(stateDir)) {
            String local = register(server, presignGet("setup.exe", Duration.ofMinutes(10)), "setup.exe")
                    .path("url").asText();
            HttpResponse<byte[]> head = send(HttpRequest.newBuilder(URI.create(local))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()));
            long size = Long.parseLong(head.headers().firstValue("Content-Length").orElseThrow());
            String lastModified = head.headers().firstValue("Last-Modified").orElseThrow();
            byte[] out = new byte[(int) size];
            int chunk = 1024 * 1024;
            for (int off = 0; off < size; off += chunk) {
                int end = (int) Math.min(size, off + chunk) - 1;
                HttpResponse<byte[]> r = send(HttpRequest.newBuilder(URI.create(local))
                        .header("Range", "bytes=" + off + "-" + end)
                        .header("If-Unmodified-Since", lastModified)
                        .header("User-Agent", "Microsoft BITS/7.8"));
                assertEquals(206, r.statusCode());
                assertEquals("bytes " + off + "-" + end + "/" + size, r.headers().firstValue("Content-Range").orElseThrow());
                System.arraycopy(r.body(), 0, out, off, r.body().length);
            }
            assertArrayEquals(BIG, out);
        }
    }

    @Test
    void zeroByteObjectHeadsAs200WithLengthZero() throws Exception {
        try (BitsBridgeServer server = start(stateDir)) {
            String local = register(server, presignGet("empty.bin", Duration.ofMinutes(10)), "empty.bin")
                    .path("url").asText();
            HttpResponse<byte[]> head = send(HttpRequest.newBuilder(URI.create(local))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()));
            assertEquals(200, head.statusCode());
            assertEquals("0", head.headers().firstValue("Content-Length").orElseThrow());
            HttpResponse<byte[]> get = send(HttpRequest.newBuilder(URI.create(local)));
            assertEquals(200, get.statusCode());
            assertEquals(0, get.body().length);
        }
    }

    @Test
    void expiredUpstreamSays403WithHowToRefreshThenPutKeepsTheLocalUrl() throws Exception {
        try (BitsBridgeServer server = start(stateDir)) {
            JsonNode link = register(server, presignGet("setup.exe", Duration.ofSeconds(1)), "setup.exe");
            String local = link.path("url").asText();
            String id = link.path("id").asText();
            // S3 (s3proxy, on its own wall clock) decides the expiry: poll until it refuses.
            HttpResponse<byte[]> expired = Await.value(Duration.ofSeconds(15),
                    () -> send(HttpRequest.newBuilder(URI.create(local)).header("Range", "bytes=0-9")),
                    r -> r.statusCode() != 206, "the presigned URL to expire");
            assertEquals(403, expired.statusCode());
            String msg = new String(expired.body());
            assertTrue(msg.contains("expired") && msg.contains("PUT /_bitsbridge/links/" + id), msg);

            String body = JSON.createObjectNode().put("url", presignGet("setup.exe", Duration.ofMinutes(10))).toString();
            HttpResponse<byte[]> put = send(HttpRequest.newBuilder(base(server).resolve("/_bitsbridge/links/" + id))
                    .PUT(HttpRequest.BodyPublishers.ofString(body)));
            assertEquals(200, put.statusCode(), new String(put.body()));
            assertEquals(local, JSON.readTree(put.body()).path("url").asText(), "the local URL does not change");

            HttpResponse<byte[]> again = send(HttpRequest.newBuilder(URI.create(local)).header("Range", "bytes=0-9"));
            assertEquals(206, again.statusCode());
            assertArrayEquals(Arrays.copyOfRange(BIG, 0, 10), again.body());
        }
    }

    @Test
    void linksSurviveARestartAndDeleteRemovesThem() throws Exception {
        String local;
        String id;
        try (BitsBridgeServer server = start(stateDir)) {
            JsonNode link = register(server, presignGet("setup.exe", Duration.ofMinutes(10)), "setup.exe");
            id = link.path("id").asText();
            local = link.path("url").asText();
        }
        assertTrue(Files.list(stateDir.resolve("links")).count() == 1, "one file for the one link");
        try (BitsBridgeServer server = start(stateDir)) {
            URI again = base(server).resolve(URI.create(local).getRawPath());
            HttpResponse<byte[]> r = send(HttpRequest.newBuilder(again).header("Range", "bytes=100-199"));
            assertEquals(206, r.statusCode());
            assertArrayEquals(Arrays.copyOfRange(BIG, 100, 200), r.body());

            HttpResponse<byte[]> del = send(HttpRequest.newBuilder(base(server).resolve("/_bitsbridge/links/" + id))
                    .DELETE());
            assertEquals(200, del.statusCode());
            assertEquals(404, send(HttpRequest.newBuilder(again)).statusCode());
        }
    }

    @Test
    void theAdminListsLinksWithoutTheirSignatures() throws Exception {
        try (BitsBridgeServer server = start(stateDir)) {
            JsonNode a = register(server, presignGet("setup.exe", Duration.ofMinutes(10)), "setup.exe");
            register(server, presignGet("empty.bin", Duration.ofMinutes(10)), "empty.bin");
            HttpResponse<byte[]> r = send(HttpRequest.newBuilder(base(server).resolve("/_bitsbridge/links")));
            assertEquals(200, r.statusCode(), new String(r.body()));
            String text = new String(r.body());
            assertFalse(text.contains("X-Amz-Signature") || text.contains("X-Amz-Credential"), text);
            JsonNode list = JSON.readTree(r.body());
            assertEquals(2, list.path("count").asInt());
            JsonNode first = list.path("links").path(0);
            assertEquals(a.path("id").asText(), first.path("id").asText(), "oldest first");
            assertEquals("127.0.0.1:" + fx.s3().endpoint().getPort(), first.path("host").asText());
            assertEquals("/apps/setup.exe", first.path("path").asText());
            assertTrue(first.hasNonNull("created") && first.hasNonNull("link_expires") && first.hasNonNull("url"));

            HttpResponse<byte[]> anonymous = HTTP.send(HttpRequest.newBuilder(base(server).resolve("/_bitsbridge/links"))
                    .build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(401, anonymous.statusCode(), "the listing is the admin's");
        }
    }

    @Test
    void overMaxLinksIs507AndAnExpiredLinkAnswers404LikeADeletedOne() throws Exception {
        MutableClock clock = MutableClock.startingNow();
        ProxyConfig config = ProxyConfig.builder().port(0).stateDir(stateDir)
                .allowUpstream(java.util.List.of("127.0.0.1:" + fx.s3().endpoint().getPort()))
                .security(SecurityConfig.DEFAULTS.withMaxLinks(1).withLinkMaxAge(Duration.ofHours(1))).build();
        try (BitsBridgeServer server = new BitsBridgeServer(config, null, clock).start()) {
            adminToken = server.adminToken();
            String url = presignGet("setup.exe", Duration.ofMinutes(10));
            JsonNode link = register(server, url, "setup.exe");
            assertEquals(clock.instant().plus(Duration.ofHours(1)).toString(), link.path("link_expires").asText());
            String body = JSON.createObjectNode().put("url", url).toString();
            HttpResponse<byte[]> over = send(HttpRequest.newBuilder(base(server).resolve("/_bitsbridge/links"))
                    .POST(HttpRequest.BodyPublishers.ofString(body)));
            assertEquals(507, over.statusCode());
            assertTrue(JSON.readTree(over.body()).path("error").asText().contains("--max-links"), new String(over.body()));

            URI local = base(server).resolve(URI.create(link.path("url").asText()).getRawPath());
            assertEquals(200, send(HttpRequest.newBuilder(local).method("HEAD", HttpRequest.BodyPublishers.noBody()))
                    .statusCode());
            clock.advance(Duration.ofMinutes(61));
            assertEquals(404, send(HttpRequest.newBuilder(local)).statusCode(), "expired: as if deleted");
            assertEquals(404, send(HttpRequest.newBuilder(base(server).resolve("/_bitsbridge/links/"
                    + link.path("id").asText()))).statusCode());

            String tooLong = JSON.createObjectNode().put("url", url).put("lifetime", "2h").toString();
            assertEquals(400, send(HttpRequest.newBuilder(base(server).resolve("/_bitsbridge/links"))
                    .POST(HttpRequest.BodyPublishers.ofString(tooLong))).statusCode(), "over --link-max-age");
            String shortOne = JSON.createObjectNode().put("url", url).put("lifetime", "10m").toString();
            HttpResponse<byte[]> again = send(HttpRequest.newBuilder(base(server).resolve("/_bitsbridge/links"))
                    .POST(HttpRequest.BodyPublishers.ofString(shortOne)));
            assertEquals(201, again.statusCode(), "the expired link freed its place");
            assertEquals(clock.instant().plus(Duration.ofMinutes(10)).toString(),
                    JSON.readTree(again.body()).path("link_expires").asText());
        }
    }

    @Test
    void registrationRefusesDisallowedAndInvalidUpstreams() throws Exception {
        try (BitsBridgeServer server = start(stateDir)) {
            for (String bad : new String[] {
                "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
                "http://internal.example:8080/admin",
                "ftp://127.0.0.1/x",
                "not a url"}) {
                String body = JSON.createObjectNode().put("url", bad).toString();
                HttpResponse<byte[]> r = send(HttpRequest.newBuilder(base(server).resolve("/_bitsbridge/links"))
                        .POST(HttpRequest.BodyPublishers.ofString(body)));
                assertEquals(400, r.statusCode(), bad);
                assertNotNull(JSON.readTree(r.body()).path("error").asText(null));
            }
            HttpResponse<byte[]> notJson = send(HttpRequest.newBuilder(base(server).resolve("/_bitsbridge/links"))
                    .POST(HttpRequest.BodyPublishers.ofString("{url:")));
            assertEquals(400, notJson.statusCode());
        }
    }
}
