package dev.bitsbridge.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.testing.RawHttp;
import dev.bitsbridge.proxy.testing.S3Server;
import dev.bitsbridge.proxy.testing.WanLink;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * The disk cache survives {@code kill -9} of the proxy in the middle of filling slices (S3 behind
 * a slow WAN link, so fills are in flight when the process dies): after a restart on the same
 * folder the temporary files of the interrupted fills are gone, the slices that were complete are
 * served from disk, and the object is byte-exact.
 */
@DisabledOnOs(OS.WINDOWS)
class CacheCrashTest {


    @Test
    void aProxyKilledMidFillRestartsWithOnlyGoodSlices(@TempDir Path state, @TempDir Path cache) throws Exception {
        byte[] data = new byte[24 * 1024 * 1024 + 321];
        new Random(17).nextBytes(data);
        try (S3Server s3 = new S3Server();
                WanLink wan = new WanLink("127.0.0.1", s3.endpoint().getPort(), Duration.ofMillis(40), 512 * 1024)) {
            s3.createBucket("crash");
            s3.put("crash", "big.bin", data);
            ServeProcess p1 = ServeProcess.start(s3, "--bucket", "crash", "--endpoint", "http://127.0.0.1:" + wan.port(),
                    "--state-dir", state.toString(), "--cache-dir", cache.toString(), "--cache-validity", "1h");
            try (RawHttp c = RawHttp.connect(p1.port())) {
                c.send(RawHttp.get("/big.bin"));
                assertEquals(200, c.readHead().status());
                assertTrue(c.readBody(new ByteArrayOutputStream(), 6 * 1024 * 1024));
                // The client reads as fast as S3 fills its slice: that fill is in flight now.
                assertTrue(count(cache, ".tmp") > 0, "a fill in flight");
                p1.process().destroyForcibly(); // SIGKILL: no shutdown hook, no clean-up
                assertTrue(p1.process().waitFor(10, TimeUnit.SECONDS));
            }
            long complete = count(cache, "-") - count(cache, ".tmp");

            ServeProcess p2 = ServeProcess.start(s3, "--bucket", "crash", "--endpoint", "http://127.0.0.1:" + wan.port(),
                    "--state-dir", state.toString(), "--cache-dir", cache.toString(), "--cache-validity", "1h");
            try {
                assertEquals(0, count(cache, ".tmp"), "interrupted fills' files deleted at start");
                RawHttp.Response r = RawHttp.exchange(p2.port(), RawHttp.get("/big.bin"));
                assertEquals(200, r.status());
                assertArrayEquals(data, r.body(), "byte-exact after the crash");
                String metrics = metrics(p2.port(), state);
                double hits = value(metrics, "bitsbridge_cache_hits_total");
                assertTrue(complete > 0 && hits >= complete, "the " + complete + " complete slices served from disk: "
                        + hits + " hits");
                assertEquals(0, value(metrics, "bitsbridge_cache_bypassed_total"));
            } finally {
                p2.process().destroy();
                p2.process().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    private static long count(Path cache, String marker) throws IOException {
        try (Stream<Path> s = Files.walk(cache.resolve("slices"))) {
            return s.filter(Files::isRegularFile).filter(f -> f.getFileName().toString().contains(marker)).count();
        }
    }

    private static String metrics(int port, Path state) throws Exception {
        String token = Files.readString(state.resolve("admin-token")).trim();
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/_bitsbridge/metrics"))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        return r.body();
    }

    private static double value(String metrics, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }
}
