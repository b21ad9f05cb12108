package dev.bitsbridge.proxy.links;

import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Not a test (the build does not run it): the measure over HTTP. 500 POST /_bitsbridge/links
 * with 60 KB presigned URLs, then the time of 100 more (docs/performance.md).
 */
class LinkHttpBench {

    @Test
    void fiveHundredBigLinksThenAHundredMoreOverHttp() throws Exception {
        Path dir = Files.createTempDirectory("linkhttpbench");
        String url = "https://apps.s3.amazonaws.com/setup.exe?X-Amz-Date=20261201T000000Z&X-Amz-Expires=604800"
                + "&X-Amz-Security-Token=" + "A".repeat(60_000);
        String body = "{\"url\": \"" + url + "\", \"name\": \"setup.exe\"}";
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        try (BitsBridgeServer s = new BitsBridgeServer(ProxyConfig.builder().port(0).stateDir(dir).build(), null).start()) {
            HttpRequest post = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + "/_bitsbridge/links"))
                    .header("Authorization", "Bearer " + s.adminToken()).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build();
            long t0 = System.nanoTime();
            for (int i = 0; i < 100; i++) {
                check(http.send(post, HttpResponse.BodyHandlers.ofString()));
            }
            long first = (System.nanoTime() - t0) / 1_000_000;
            for (int i = 0; i < 400; i++) {
                check(http.send(post, HttpResponse.BodyHandlers.ofString()));
            }
            long t1 = System.nanoTime();
            for (int i = 0; i < 100; i++) {
                check(http.send(post, HttpResponse.BodyHandlers.ofString()));
            }
            long last = (System.nanoTime() - t1) / 1_000_000;
            System.out.println("BENCH http: first 100 POSTs " + first + " ms; 100 POSTs after 500 links " + last + " ms");
        }
    }

    private static void check(HttpResponse<String> r) {
        if (r.statusCode() != 201) {
            throw new AssertionError(r.statusCode() + " " + r.body());
        }
    }
}
