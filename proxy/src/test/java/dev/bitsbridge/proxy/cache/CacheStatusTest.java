package dev.bitsbridge.proxy.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bitsbridge.proxy.config.CacheConfig;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.state.Json;
import dev.bitsbridge.proxy.testing.Await;
import dev.bitsbridge.proxy.testing.ProxyFixture;
import dev.bitsbridge.proxy.testing.RawHttp;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The status page's per-transfer cache hit ratio (status.json's {@code cache} of each active
 * transfer): a download of an object the cache holds shows every byte so far as a hit, one of a cold
 * object shows every byte as S3's (its own read-ahead included), and a transfer that does not go
 * through the cache has no {@code cache} at all. Clients stop reading after the first bytes, so
 * their transfers stay active while the page is read.
 */
class CacheStatusTest {

    private static final byte[] WARM = DiskCacheTest.random(16 * 1024 * 1024, 11);
    private static final byte[] COLD = DiskCacheTest.random(16 * 1024 * 1024, 12);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @RegisterExtension
    static final ProxyFixture fx = ProxyFixture.builder().bucket("ratio").object("warm.bin", WARM)
            .object("cold.bin", COLD).withoutProxy().build();

    @Test
    void statusJsonShowsWhereEachActiveTransferGotItsBytes() throws Exception {
        java.nio.file.Path dir = fx.newDir();
        BitsBridgeServer p = fx.startProxy(b -> b.cache(CacheConfig.OFF.withDir(dir).withSliceSize(256 * 1024)));
        assertArrayEquals(WARM, DiskCacheTest.get(p, "/warm.bin").body());
        DiskCacheTest.awaitIdle(p);
        List<RawHttp> clients = new ArrayList<>();
        try {
            for (String path : List.of("/warm.bin", "/cold.bin")) {
                RawHttp c = RawHttp.connect(p.port(), 16 * 1024);
                clients.add(c);
                c.send(RawHttp.get(path));
            }
            for (RawHttp c : clients) {
                assertEquals(200, c.readHead().status());
                ByteArrayOutputStream first = new ByteArrayOutputStream();
                assertTrue(c.readBody(first, 64 * 1024));
                // ...and from here on the client reads nothing more.
            }

            Await.until(Duration.ofSeconds(10), () -> active(p, "/warm.bin").path("bytes").asLong() > 0
                    && active(p, "/cold.bin").path("bytes").asLong() > 0, () -> "transfers not seen");
            JsonNode warm = active(p, "/warm.bin").path("cache");
            JsonNode cold = active(p, "/cold.bin").path("cache");

            assertTrue(warm.path("hit_bytes").asLong() >= 64 * 1024, warm.toString());
            assertEquals(0, warm.path("s3_bytes").asLong(), warm.toString());
            assertEquals(1.0, warm.path("hit_ratio").asDouble(), warm.toString());
            assertEquals(0, cold.path("hit_bytes").asLong(), cold.toString());
            assertTrue(cold.path("s3_bytes").asLong() >= 64 * 1024, cold.toString());
            assertEquals(0.0, cold.path("hit_ratio").asDouble(), cold.toString());
        } finally {
            for (RawHttp c : clients) {
                c.close();
            }
        }
    }

    @Test
    void aTransferNotServedThroughTheCacheHasNoCacheShare() throws Exception {
        BitsBridgeServer p = fx.startProxy(b -> b);
        RawHttp c = RawHttp.connect(p.port(), 16 * 1024);
        try {
            c.send(RawHttp.get("/cold.bin"));
            assertEquals(200, c.readHead().status());
            assertTrue(c.readBody(new ByteArrayOutputStream(), 64 * 1024));
            Await.until(Duration.ofSeconds(10), () -> active(p, "/cold.bin").path("bytes").asLong() > 0,
                    () -> "transfer not seen");

            assertFalse(active(p, "/cold.bin").has("cache"), active(p, "/cold.bin").toString());
        } finally {
            c.close();
        }
    }

    /** The active transfer of {@code path} on the status page (a missing node if there is none). */
    private static JsonNode active(BitsBridgeServer p, String path) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + p.port()
                    + "/_bitsbridge/status.json")).header("Authorization", "Bearer " + p.adminToken()).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            for (JsonNode t : Json.mapper().readTree(r.body()).path("active")) {
                if (path.equals(t.path("path").asText())) {
                    return t;
                }
            }
            return Json.mapper().missingNode();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
