package dev.bitsbridge.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.Await;
import dev.bitsbridge.proxy.testing.S3Server;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bitsbridge share} as a user runs it: the printed link (last line) works against a proxy
 * started with {@code --require-token} on the same state folder, a one-time link is spent by one
 * download, and a rotated secret reaches the running proxy.
 */
class ShareCommandTest {

    record Run(int code, String out, String err) {
        String lastLine() {
            String[] lines = out.strip().split("\n");
            return lines[lines.length - 1].strip();
        }
    }

    static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = BitsBridgeCli.execute(args, Map.of(), new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void thePrintedLinkDownloadsOnceThenIsGoneAndRotationRevokes(@TempDir Path state) throws Exception {
        byte[] data = new byte[2 * 1024 * 1024 + 5];
        new Random(9).nextBytes(data);
        try (S3Server s3 = new S3Server()) {
            s3.createBucket("shares");
            s3.put("shares", "dir/setup v2.exe", data);
            BitsBridgeServer proxy = new BitsBridgeServer(ProxyConfig.builder().port(0).bucket("shares")
                    .endpoint(s3.endpoint()).stateDir(state).requireToken(true).build(), s3.credentials()).start();
            try {
                String base = "http://127.0.0.1:" + proxy.port();
                Run once = cli("share", "dir/setup v2.exe", "--once", "--expires", "10m", "--base-url", base,
                        "--state-dir", state.toString());
                assertEquals(0, once.code(), once.err());
                String link = once.lastLine();
                assertTrue(link.startsWith(base + "/dir/setup%20v2.exe?token=v1."), link);
                assertTrue(once.out().contains("then 410 Gone"), once.out());

                HttpClient http = HttpClient.newHttpClient();
                HttpResponse<Void> head = http.send(HttpRequest.newBuilder(URI.create(link))
                        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
                assertEquals(200, head.statusCode());
                assertEquals(String.valueOf(data.length), head.headers().firstValue("Content-Length").orElseThrow());
                HttpResponse<byte[]> get = http.send(HttpRequest.newBuilder(URI.create(link)).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertEquals(200, get.statusCode());
                assertArrayEquals(data, get.body());
                // Spent is recorded once the last byte is written, which may be just after the client read it.
                HttpResponse<String> gone = Await.value(Duration.ofSeconds(10), () -> http.send(
                        HttpRequest.newBuilder(URI.create(link)).build(), HttpResponse.BodyHandlers.ofString()),
                        r -> r.statusCode() != 200, "the one-time link spent");
                assertEquals(410, gone.statusCode());
                assertTrue(gone.body().contains("one-time"), gone.body());

                Run plain = cli("share", "dir/setup v2.exe", "--base-url", base, "--state-dir", state.toString());
                String reusable = plain.lastLine();
                assertEquals(200, status(http, reusable));
                assertEquals(200, status(http, reusable), "not one-time: works again");
                assertEquals(401, status(http, base + "/dir/setup%20v2.exe"));

                Run rotated = cli("share", "--rotate-secret", "--state-dir", state.toString());
                assertEquals(0, rotated.code(), rotated.err());
                // The proxy looks at the secret file at most every 2 s: links signed with the old secret
                // stop working by then.
                Await.value(Duration.ofSeconds(10), () -> status(http, reusable), s -> s == 403,
                        "links signed with the old secret refused");
                Run fresh = cli("share", "dir/setup v2.exe", "--base-url", base, "--state-dir", state.toString());
                assertEquals(200, status(http, fresh.lastLine()));
            } finally {
                proxy.stop(Duration.ZERO);
            }
        }
    }

    private static int status(HttpClient http, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Range", "bytes=0-9").build(),
                HttpResponse.BodyHandlers.discarding()).statusCode() == 206 ? 200
                : http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode();
    }

    @Test
    void badUsesExitTwoWithOneLine(@TempDir Path state) {
        for (String[] args : new String[][] {
            {"share", "--state-dir", state.toString()},
            {"share", "../etc/passwd", "--state-dir", state.toString()},
            {"share", "a.bin", "--once", "--upload", "--state-dir", state.toString()},
            {"share", "a.bin", "--expires", "400d", "--state-dir", state.toString()},
            {"share", "a.bin", "--expires", "soon", "--state-dir", state.toString()},
            {"share", "a.bin", "--base-url", "ftp://x", "--state-dir", state.toString()}}) {
            Run r = cli(args);
            assertEquals(2, r.code(), String.join(" ", args) + ": " + r.out() + r.err());
            assertTrue(r.err().strip().lines().count() <= 2 && !r.err().contains("Exception"), r.err());
        }
    }
}
