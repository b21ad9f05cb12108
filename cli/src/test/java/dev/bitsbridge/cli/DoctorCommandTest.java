package dev.bitsbridge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.testing.S3Server;
import dev.bitsbridge.proxy.testing.TlsPair;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bitsbridge doctor} and the checks {@code serve} runs first, against s3proxy: a good setup
 * passes (exit 0), a broken one exits 2 with one line on stderr; {@code --skip-checks} starts
 * offline; an unusable TLS pair is one line and exit 2.
 */
class DoctorCommandTest {

    static S3Server s3;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        s3 = new S3Server();
        s3.createBucket("files");
        // The SDK's default chain reads these first; the launcher's environment map is not where it looks.
        System.setProperty("aws.accessKeyId", S3Server.ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", s3.secretKey());
    }

    @AfterAll
    static void stop() throws Exception {
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
        s3.close();
    }

    record Run(int exit, String out, String err) {
    }

    Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = BitsBridgeCli.execute(args, Map.of(), new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }

    List<String> common(String bucket) {
        return new ArrayList<>(List.of("--bucket", bucket, "--endpoint", s3.endpoint().toString(), "--region",
                "us-east-1", "--state-dir", dir.resolve("state").toString()));
    }

    @Test
    void aGoodSetupPassesWithASummary() {
        List<String> args = new ArrayList<>(List.of("doctor"));
        args.addAll(common("files"));
        Run r = run(args.toArray(String[]::new));
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("ok    credentials   found"), r.out());
        assertTrue(r.out().contains("ok    bucket        s3://files exists and can be listed"), r.out());
        assertTrue(r.out().contains("all checks passed"), r.out());
        assertEquals("", r.err());
    }

    @Test
    void aMissingBucketExitsTwoWithOneLine() {
        List<String> args = new ArrayList<>(List.of("doctor"));
        args.addAll(common("no-such-bucket"));
        Run r = run(args.toArray(String[]::new));
        assertEquals(2, r.exit(), r.out() + r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("bitsbridge: bucket: s3://no-such-bucket does not exist"), r.err());
        assertTrue(r.out().contains("FAIL  bucket"), r.out());
    }

    @Test
    void serveChecksFirstAndDoesNotStartWhenAPortIsClosed() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            closed = s.getLocalPort();
        }
        Run r = run("serve", "--port", "0", "--bucket", "files", "--endpoint", "http://127.0.0.1:" + closed,
                "--state-dir", dir.resolve("state").toString());
        assertEquals(2, r.exit(), r.out() + r.err());
        assertTrue(r.err().startsWith("bitsbridge: endpoint: cannot connect to 127.0.0.1:" + closed), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(!r.out().contains("serving"), r.out());
    }

    @Test
    void skipChecksStartsOffline() throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), BitsBridgeCli.class.getName(), "serve", "--skip-checks",
                "--port", "0", "--bucket", "files", "--endpoint", "http://127.0.0.1:1", "--path-style",
                "--state-dir", dir.resolve("state").toString()).redirectErrorStream(true).start();
        try {
            BufferedReader lines = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            StringBuilder seen = new StringBuilder();
            boolean serving = false;
            for (String line; (line = lines.readLine()) != null; ) {
                seen.append(line).append('\n');
                if (line.contains("bitsbridge serving on http://127.0.0.1:")) {
                    serving = true;
                    break;
                }
            }
            assertTrue(serving, seen.toString());
            assertTrue(!seen.toString().contains("checks:"), seen.toString());
        } finally {
            p.destroy();
            p.waitFor(20, TimeUnit.SECONDS);
            p.destroyForcibly();
        }
    }

    @Test
    void aMismatchedTlsPairIsOneLineAndExitTwo() throws Exception {
        TlsPair a = TlsPair.generate(dir, "a");
        TlsPair b = TlsPair.generate(dir, "b");
        Run r = run("serve", "--skip-checks", "--port", "0", "--bucket", "files", "--endpoint",
                s3.endpoint().toString(), "--tls-cert", a.cert().toString(), "--tls-key", b.key().toString());
        assertEquals(2, r.exit(), r.out() + r.err());
        assertEquals("bitsbridge: --tls-key " + b.key() + " is not the key of the certificate in --tls-cert " + a.cert()
                + ": give the pair that was issued together", r.err().trim());
        Run half = run("serve", "--skip-checks", "--port", "0", "--tls-cert", a.cert().toString());
        assertEquals(2, half.exit());
        assertTrue(half.err().contains("--tls-cert and --tls-key go together"), half.err());
    }

    @Test
    void configShowNamesTheProxyFromTheEnvironmentWithoutItsPassword() {
        StringWriter out = new StringWriter();
        int exit = BitsBridgeCli.execute(new String[] {"config", "show", "--bucket", "files"},
                Map.of("HTTPS_PROXY", "http://bob:hunter2@proxy.corp:3128", "NO_PROXY", "minio.lan,.corp"),
                new PrintWriter(out, true), new PrintWriter(new StringWriter(), true));
        assertEquals(0, exit);
        assertTrue(out.toString().contains("upstream-proxy = http://proxy.corp:3128    # environment"
                + " HTTPS_PROXY, with credentials"), out.toString());
        assertTrue(out.toString().contains("no-proxy = minio.lan,.corp    # environment NO_PROXY"), out.toString());
        assertTrue(!out.toString().contains("hunter2"), out.toString());
        StringWriter cli = new StringWriter();
        BitsBridgeCli.execute(new String[] {"config", "show", "--upstream-proxy", "http://bob:hunter2@p:1"}, Map.of(),
                new PrintWriter(cli, true), new PrintWriter(new StringWriter(), true));
        assertTrue(cli.toString().contains("upstream-proxy = http://****@p:1"), cli.toString());
    }

    @Test
    void theBannerSaysHttpsWithATlsListener() throws Exception {
        TlsPair a = TlsPair.generate(dir, "banner");
        dev.bitsbridge.proxy.config.ProxyConfig c = dev.bitsbridge.proxy.config.ProxyConfig.builder().bucket("files")
                .network(dev.bitsbridge.proxy.config.NetworkConfig.DEFAULTS.withTls(a.cert(), a.key())).build();
        assertEquals("bitsbridge serving on https://127.0.0.1:8443/<key>  (s3://files/<key>)", ServeCommand.banner(c, 8443));
    }

    @Test
    void aBadUpstreamProxyUrlNamesTheOptionNotThePassword() {
        Run r = run("doctor", "--bucket", "files", "--upstream-proxy", "https://u:hunter2@proxy:443");
        assertEquals(2, r.exit());
        assertTrue(r.err().startsWith("bitsbridge: --upstream-proxy must be an http://"), r.err());
        assertTrue(!r.err().contains("hunter2"), r.err());
    }
}
