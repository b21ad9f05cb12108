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
        return cli(Map.of(), args);
    }

    static Run cli(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = BitsBridgeCli.execute(args, env, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    /**
     * Without --base-url the link is built the way serve hands links out, from serve's settings in
     * the same config file and environment: the port, the first --public-host. The printed link is
     * asked of a proxy started with those settings, as a client on that name would (Host header).
     */
    @Test
    void theLinkFollowsServesConfigFileAndEnvironment(@TempDir Path state) throws Exception {
        byte[] data = "shared through the configured name\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try (S3Server s3 = new S3Server()) {
            s3.createBucket("shares");
            s3.put("shares", "doc.txt", data);
            BitsBridgeServer proxy = new BitsBridgeServer(ProxyConfig.builder().port(0).bucket("shares")
                    .endpoint(s3.endpoint()).stateDir(state).requireToken(true)
                    .publicHosts(java.util.List.of("files.example.lan")).build(), s3.credentials()).start();
            try {
                Path conf = state.resolve("bitsbridge.conf");
                java.nio.file.Files.writeString(conf, "bucket = shares\nport = " + proxy.port()
                        + "\npublic-host = files.example.lan\nstate-dir = " + state + "\n");
                Run r = cli("share", "doc.txt", "--config", conf.toString());
                assertEquals(0, r.code(), r.err());
                String link = r.lastLine();
                String base = "http://files.example.lan:" + proxy.port();
                assertTrue(link.startsWith(base + "/doc.txt?token=v1."), r.out());
                dev.bitsbridge.proxy.testing.RawHttp.Response got = dev.bitsbridge.proxy.testing.RawHttp.exchange(
                        proxy.port(), "GET " + link.substring(base.length()) + " HTTP/1.1\r\nHost: files.example.lan:"
                                + proxy.port() + "\r\n\r\n");
                assertEquals(200, got.status(), got.text());
                assertArrayEquals(data, got.body());

                // The environment names serve's port (and the state folder) the same way.
                Run env = cli(Map.of("BITSBRIDGE_PORT", String.valueOf(proxy.port()),
                        "BITSBRIDGE_STATE_DIR", state.toString()), "share", "doc.txt");
                assertEquals(0, env.code(), env.err());
                assertTrue(env.lastLine().startsWith("http://127.0.0.1:" + proxy.port() + "/doc.txt?token="), env.out());
                HttpResponse<byte[]> viaEnv = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(env.lastLine())).build(), HttpResponse.BodyHandlers.ofByteArray());
                assertEquals(200, viaEnv.statusCode());
                assertArrayEquals(data, viaEnv.body());
            } finally {
                proxy.stop(Duration.ZERO);
            }
        }
    }

    @Test
    void linkBaseIsServesAddress() {
        assertEquals("http://127.0.0.1:8080", ShareCommand.linkBase("127.0.0.1", "8080", null, false));
        assertEquals("http://127.0.0.1:9000", ShareCommand.linkBase("0.0.0.0", "9000", "", false));
        assertEquals("http://10.1.2.3:9000", ShareCommand.linkBase("10.1.2.3", "9000", null, false));
        assertEquals("http://[::1]:9000", ShareCommand.linkBase("::1", "9000", null, false));
        assertEquals("http://files.lan", ShareCommand.linkBase("0.0.0.0", "80", "files.lan,other.lan", false));
        assertEquals("https://files.lan", ShareCommand.linkBase("0.0.0.0", "443", "files.lan", true));
        assertEquals("https://files.lan:8443", ShareCommand.linkBase("0.0.0.0", "8443", "files.lan", true));
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

    /**
     * Scale-out: with serve's --state-bucket in its config, share mints with the cluster's secret
     * (read from the state bucket with serve's endpoint and credentials), and --rotate-secret
     * replaces it there: a running instance refuses the old links within --state-validity.
     */
    @Test
    void withServesStateBucketTheSecretIsTheClustersOne(@TempDir Path state) throws Exception {
        byte[] data = "one secret for every instance\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        System.setProperty("aws.accessKeyId", S3Server.ACCESS_KEY);
        try (S3Server s3 = new S3Server()) {
            System.setProperty("aws.secretAccessKey", s3.secretKey());
            s3.createBucket("shares");
            s3.createBucket("cluster");
            s3.put("shares", "doc.txt", data);
            BitsBridgeServer proxy = new BitsBridgeServer(ProxyConfig.builder().port(0).bucket("shares")
                    .endpoint(s3.endpoint()).requireToken(true).sharedState(dev.bitsbridge.proxy.config
                            .SharedStateConfig.OFF.withBucket("cluster").withValidity(Duration.ofMillis(500)))
                    .build(), s3.credentials()).start();
            try {
                Path conf = state.resolve("bitsbridge.conf");
                java.nio.file.Files.writeString(conf, "bucket = shares\nendpoint = " + s3.endpoint() + "\nport = "
                        + proxy.port() + "\nregion = us-east-1\nstate-bucket = cluster\nstate-validity = 500ms\n");
                Run r = cli("share", "doc.txt", "--config", conf.toString());
                assertEquals(0, r.code(), r.err());
                assertTrue(r.out().contains("s3://cluster/.bitsbridge/state/share/secret"), r.out());
                HttpClient http = HttpClient.newHttpClient();
                String link = r.lastLine();
                assertEquals(200, status(http, link));
                HttpResponse<byte[]> got = http.send(HttpRequest.newBuilder(URI.create(link)).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertArrayEquals(data, got.body());

                Run rotated = cli("share", "--rotate-secret", "--config", conf.toString());
                assertEquals(0, rotated.code(), rotated.err());
                assertTrue(rotated.out().contains("within --state-validity"), rotated.out());
                Await.value(Duration.ofSeconds(10), () -> status(http, link), s -> s == 403,
                        "links signed with the old secret refused");
                assertEquals(200, status(http, cli("share", "doc.txt", "--config", conf.toString()).lastLine()));
            } finally {
                proxy.stop(Duration.ZERO);
            }
        } finally {
            System.clearProperty("aws.accessKeyId");
            System.clearProperty("aws.secretAccessKey");
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
            {"share", "a.bin", "--base-url", "ftp://x", "--state-dir", state.toString()},
            {"share", "a.bin", "--port", "1", "--state-dir", state.toString()}}) {
            Run r = cli(args);
            assertEquals(2, r.code(), String.join(" ", args) + ": " + r.out() + r.err());
            assertTrue(r.err().strip().lines().count() <= 2 && !r.err().contains("Exception"), r.err());
        }
        Run anyPort = cli(Map.of("BITSBRIDGE_PORT", "0"), "share", "a.bin", "--state-dir", state.toString());
        assertEquals(2, anyPort.code(), anyPort.out());
        assertTrue(anyPort.err().contains("give --base-url"), anyPort.err());
    }
}
