package dev.bitsbridge.proxy.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bitsbridge.proxy.config.CacheConfig;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.ProxyFixture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * The cache is keyed by the object, not by the URL: bytes cached for a signed bucket-mode request
 * are served to a registered presigned link of the same object without asking S3 (the link's
 * query string, its signature, plays no part in the key).
 */
class CacheIdentityTest {

    private static final byte[] DATA = new byte[1_500_000];
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    static {
        new Random(8).nextBytes(DATA);
    }

    @RegisterExtension
    static final ProxyFixture fx = ProxyFixture.builder().bucket("ident").object("setup.exe", DATA).withoutProxy()
            .build();

    private static String presigned() {
        try (S3Presigner p = S3Presigner.builder().endpointOverride(fx.s3().endpoint()).region(Region.US_EAST_1)
                .credentialsProvider(fx.s3().credentials())
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build()).build()) {
            return p.presignGetObject(r -> r.signatureDuration(Duration.ofMinutes(10))
                    .getObjectRequest(g -> g.bucket("ident").key("setup.exe"))).url().toString();
        }
    }

    @Test
    void aPresignedLinkIsServedFromWhatABucketModeRequestCached() throws Exception {
        Path cache = fx.newDir();
        Path state = fx.newDir();
        BitsBridgeServer p = fx.startProxy(b -> b.stateDir(state)
                .allowUpstream(List.of("127.0.0.1:" + fx.s3().endpoint().getPort())).allowPrivateUpstream(true)
                .cache(CacheConfig.OFF.withDir(cache).withSliceSize(256 * 1024)));
        URI base = URI.create("http://127.0.0.1:" + p.port());
        HttpResponse<byte[]> signed = HTTP.send(HttpRequest.newBuilder(base.resolve("/setup.exe")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertArrayEquals(DATA, signed.body());
        long fetched = p.cache().stats().bytesFromS3();
        long gets = DiskCacheTest.s3Gets(p);

        String body = JSON.createObjectNode().put("url", presigned()).put("name", "setup.exe").toString();
        HttpResponse<byte[]> reg = HTTP.send(HttpRequest.newBuilder(base.resolve("/_bitsbridge/links"))
                .header("Authorization", "Bearer " + p.adminToken()).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(201, reg.statusCode(), new String(reg.body()));
        JsonNode link = JSON.readTree(reg.body());
        URI local = URI.create(link.path("url").asText());
        HttpResponse<byte[]> viaLink = HTTP.send(HttpRequest.newBuilder(local).header("Range", "bytes=1000-1299999")
                .build(), HttpResponse.BodyHandlers.ofByteArray());

        assertEquals(206, viaLink.statusCode());
        assertArrayEquals(java.util.Arrays.copyOfRange(DATA, 1000, 1300000), viaLink.body());
        assertEquals(signed.headers().firstValue("ETag"), viaLink.headers().firstValue("ETag"));
        assertEquals(fetched, p.cache().stats().bytesFromS3(), "no byte fetched again");
        assertEquals(gets, DiskCacheTest.s3Gets(p), "no S3 request at all");
        assertTrue(p.cache().stats().hits() > 0);
    }
}
