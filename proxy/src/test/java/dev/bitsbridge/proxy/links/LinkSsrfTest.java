package dev.bitsbridge.proxy.links;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.S3Server;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * Issue #15, finding 2, reproduced: a link to a name that resolves to 127.0.0.1 (here
 * {@code localhost}, standing for an {@code *.amazonaws.com} name a VPC resolves privately)
 * returned an internal service's body. The "internal service" is s3proxy on loopback.
 */
class LinkSsrfTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static S3Server s3;
    private static final byte[] SECRET = "internal service answer".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path state;

    @BeforeAll
    static void startS3() throws Exception {
        s3 = new S3Server();
        s3.createBucket("internal");
        s3.put("internal", "secret.txt", SECRET);
    }

    @AfterAll
    static void stopS3() throws Exception {
        s3.close();
    }

    private static String presignedViaLocalhost() {
        URI ep = URI.create("http://localhost:" + s3.endpoint().getPort());
        try (S3Presigner p = S3Presigner.builder().endpointOverride(ep).region(Region.US_EAST_1)
                .credentialsProvider(s3.credentials())
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build()).build()) {
            return p.presignGetObject(r -> r.signatureDuration(Duration.ofMinutes(10))
                    .getObjectRequest(g -> g.bucket("internal").key("secret.txt"))).url().toString();
        }
    }

    private static HttpResponse<byte[]> register(BitsBridgeServer proxy, String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + "/_bitsbridge/links"))
                .header("Authorization", "Bearer " + proxy.adminToken()).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.createObjectNode().put("url", url).toString())).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    private HttpResponse<byte[]> registerAndGet(boolean allowPrivate) throws Exception {
        int port = s3.endpoint().getPort();
        try (BitsBridgeServer proxy = new BitsBridgeServer(ProxyConfig.builder().port(0).stateDir(state)
                .allowUpstream(List.of("localhost:" + port)).allowPrivateUpstream(allowPrivate).build(), null).start()) {
            HttpResponse<byte[]> reg = register(proxy, presignedViaLocalhost());
            assertEquals(201, reg.statusCode(), new String(reg.body(), StandardCharsets.UTF_8));
            String local = JSON.readTree(reg.body()).path("url").asText();
            return HTTP.send(HttpRequest.newBuilder(URI.create(local)).build(), HttpResponse.BodyHandlers.ofByteArray());
        }
    }

    @Test
    void aLinkToANameResolvingToLoopbackIsRefusedAtConnect() throws Exception {
        HttpResponse<byte[]> get = registerAndGet(false);
        String msg = new String(get.body(), StandardCharsets.UTF_8);
        assertEquals(502, get.statusCode(), msg);
        assertTrue(msg.contains("resolves to") && msg.contains("--allow-private-upstream"), msg);
        assertTrue(!msg.contains(new String(SECRET, StandardCharsets.UTF_8)), msg);
    }

    @Test
    void theExplicitAllowanceLetsItThrough() throws Exception {
        HttpResponse<byte[]> get = registerAndGet(true);
        assertEquals(200, get.statusCode());
        assertArrayEquals(SECRET, get.body());
    }

    @Test
    void nonS3AmazonawsNamesOtherPortsAndHttpAreRefusedAtRegistration() throws Exception {
        try (BitsBridgeServer proxy = new BitsBridgeServer(ProxyConfig.builder().port(0).stateDir(state).build(), null)
                .start()) {
            for (String bad : List.of(
                    "https://vpc-logs-abc123.eu-west-1.es.amazonaws.com/_search?X-Amz-Signature=x",
                    "https://internal-app-1.eu-west-1.elb.amazonaws.com/admin",
                    "https://b.s3.eu-west-1.amazonaws.com:8443/k",
                    "http://b.s3.eu-west-1.amazonaws.com/k",
                    "http://169.254.169.254/latest/meta-data/")) {
                HttpResponse<byte[]> r = register(proxy, bad);
                assertEquals(400, r.statusCode(), bad);
                JsonNode err = JSON.readTree(r.body());
                assertTrue(err.path("error").asText().contains("not allowed"), err.toString());
            }
            assertEquals(201, register(proxy, "https://b.s3.eu-west-1.amazonaws.com/k?X-Amz-Expires=60").statusCode());
        }
    }
}
