package dev.bitsbridge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.config.ProxyConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** Option parsing, environment defaults and the one-line errors, without starting anything. */
class CliOptionsTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private ProxyConfig serveConfig(Map<String, String> env, String... args) {
        CommandLine cmd = BitsBridgeCli.commandLine(env, new PrintWriter(out), new PrintWriter(err));
        String[] all = new String[args.length + 1];
        all[0] = "serve";
        System.arraycopy(args, 0, all, 1, args.length);
        cmd.parseArgs(all);
        ServeCommand serve = cmd.getSubcommands().get("serve").getCommand();
        serve.env = env;
        return serve.config();
    }

    private int run(Map<String, String> env, String... args) {
        return BitsBridgeCli.execute(args, env, new PrintWriter(out, true), new PrintWriter(err, true));
    }

    @Test
    void securityOptionsMapAndAPrefixWithoutSlashIsAFolder() {
        ProxyConfig c = serveConfig(Map.of(), "--bucket", "b", "--prefix", "releases", "--allow-private-upstream",
                "--max-connections-per-client", "5", "--max-links", "50", "--link-max-age", "7d");
        assertEquals("releases/", c.prefix(), "'releases' must not also expose releases-private/");
        assertEquals(50, c.security().maxLinks());
        assertEquals(java.time.Duration.ofDays(7), c.security().linkMaxAge());
        assertTrue(c.security().allowPrivateUpstream());
        assertEquals(5, c.security().maxConnectionsPerClient());
        ProxyConfig d = serveConfig(Map.of(), "--bucket", "b");
        assertEquals(false, d.security().allowPrivateUpstream());
        assertEquals(64, d.security().maxConnectionsPerClient());
        assertEquals(10_000, d.security().maxLinks());
        assertEquals(java.time.Duration.ofDays(30), d.security().linkMaxAge());
        ProxyConfig fromEnv = serveConfig(Map.of("BITSBRIDGE_MAX_LINKS", "3"), "--bucket", "b");
        assertEquals(3, fromEnv.security().maxLinks());
    }

    /** The banner names the S3 objects served, with --prefix as a folder (was s3://b/installers<key>). */
    @Test
    void bannerShowsThePrefixAsAFolder() {
        assertEquals("bitsbridge serving on http://127.0.0.1:8080/<key>  (s3://b/installers/<key>)",
                ServeCommand.banner(serveConfig(Map.of(), "--bucket", "b", "--prefix", "installers"), 8080));
        assertEquals("bitsbridge serving on http://127.0.0.1:9/<key>  (s3://b/<key>)",
                ServeCommand.banner(serveConfig(Map.of(), "--bucket", "b"), 9));
        assertEquals("bitsbridge serving on http://127.0.0.1:9/<bucket>/<key>  (s3://<bucket>/pub/<key>)",
                ServeCommand.banner(serveConfig(Map.of(), "--prefix", "pub/"), 9));
    }

    @Test
    void optionsMapOntoTheProxyConfiguration() {
        ProxyConfig c = serveConfig(Map.of(), "--bucket", "my-bucket", "--prefix", "releases/", "--region", "eu-west-1",
                "--endpoint", "https://s3.example.com:9000", "--path-style", "--port", "9001",
                "--upstream-timeout", "2m", "--public-host", "proxy.lan", "--public-host", "other.lan",
                "--cors-origin", "https://app.example", "--max-ranges", "20", "--drain-timeout", "5s");
        assertEquals("my-bucket", c.bucket());
        assertEquals("releases/", c.prefix());
        assertEquals("eu-west-1", c.region());
        assertEquals(URI.create("https://s3.example.com:9000"), c.endpoint());
        assertTrue(c.pathStyle());
        assertEquals(9001, c.port());
        assertEquals(Duration.ofMinutes(2), c.upstreamTimeout());
        assertEquals(List.of("proxy.lan", "other.lan"), c.publicHosts());
        assertEquals(List.of("https://app.example"), c.corsOrigins());
        assertEquals(20, c.maxRanges());
        assertEquals(Duration.ofSeconds(5), c.drainTimeout());
        assertEquals("127.0.0.1", c.bindAddress(), "loopback unless asked");
    }

    @Test
    void uploadParallelismMapsWithADefaultOfEight() {
        assertEquals(8, serveConfig(Map.of(), "--bucket", "b").uploadParallelism());
        assertEquals(16, serveConfig(Map.of(), "--bucket", "b", "--upload-parallelism", "16").uploadParallelism());
        assertEquals(2, serveConfig(Map.of("BITSBRIDGE_UPLOAD_PARALLELISM", "2"), "--bucket", "b").uploadParallelism());
    }

    @Test
    void defaultsAreTheDocumentedOnes() {
        ProxyConfig c = serveConfig(Map.of(), "--region", "us-east-1");
        assertEquals("127.0.0.1", c.bindAddress());
        assertEquals(8080, c.port());
        assertEquals(Duration.ofSeconds(30), c.upstreamTimeout());
        assertNull(c.bucket(), "no bucket: path mode /<bucket>/<key>");
        assertFalse(c.pathStyle());
        assertTrue(c.stateDir() != null);
    }

    @Test
    void theCacheIsOffByDefaultAndItsOptionsMap(@TempDir Path dir) {
        ProxyConfig off = serveConfig(Map.of(), "--region", "us-east-1");
        assertFalse(off.cache().enabled());
        assertEquals(10L << 30, off.cache().maxBytes());
        assertEquals(Duration.ofSeconds(60), off.cache().validity());
        ProxyConfig on = serveConfig(Map.of("BITSBRIDGE_CACHE_VALIDITY", "5m"), "--region", "us-east-1",
                "--cache-dir", dir.toString(), "--cache-size", "2G");
        assertTrue(on.cache().enabled());
        assertEquals(dir, on.cache().dir());
        assertEquals(2L << 30, on.cache().maxBytes());
        assertEquals(Duration.ofMinutes(5), on.cache().validity());
    }

    @Test
    void environmentVariablesAreDefaultsAndTheCommandLineWins() {
        Map<String, String> env = new HashMap<>();
        env.put("BITSBRIDGE_BUCKET", "from-env");
        env.put("BITSBRIDGE_UPSTREAM_TIMEOUT", "45s");
        env.put("BITSBRIDGE_PUBLIC_HOST", "a.lan,b.lan");
        env.put("BITSBRIDGE_PATH_STYLE", "true");
        ProxyConfig fromEnv = serveConfig(env, "--region", "us-east-1");
        assertEquals("from-env", fromEnv.bucket());
        assertEquals(Duration.ofSeconds(45), fromEnv.upstreamTimeout());
        assertEquals(List.of("a.lan", "b.lan"), fromEnv.publicHosts());
        assertTrue(fromEnv.pathStyle());
        ProxyConfig cli = serveConfig(env, "--bucket", "from-cli", "--upstream-timeout", "5s", "--region", "us-east-1");
        assertEquals("from-cli", cli.bucket());
        assertEquals(Duration.ofSeconds(5), cli.upstreamTimeout());
    }

    @Test
    void awsCaBundleIsHonouredLikeTheAwsCli(@TempDir Path dir) throws Exception {
        Path pem = dev.bitsbridge.proxy.testing.TestCertificates.caBundle(dir.resolve("ca.pem"));
        ProxyConfig c = serveConfig(Map.of("AWS_CA_BUNDLE", pem.toString()), "--region", "us-east-1");
        assertEquals(pem, c.caBundle());
        CommandLine.ParameterException e = assertThrows(CommandLine.ParameterException.class,
                () -> serveConfig(Map.of("AWS_CA_BUNDLE", dir.resolve("missing.pem").toString()), "--region", "x"));
        assertTrue(e.getMessage().contains("missing.pem"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "serve --port abc                        | '--port'",
        "serve --port 70000                      | between 0 and 65535",
        "serve --endpoint ftp://example.com      | http:// or https://",
        "serve --upstream-timeout 5x             | not a duration",
        "serve --ca-bundle /does/not/exist.pem   | does not exist",
        "serve --accelerate --bucket a.b.c       | without dots",
        "serve --max-connections 0               | must be positive",
        "serve --upload-parallelism 0            | --upload-parallelism must be between 1 and 64",
        "serve --url-vendor http://v --bucket b  | cannot be combined",
        "serve --no-such-option                  | Unknown option",
        "serve --cache-dir c --cache-size 1M     | --cache-size must be at least 4 slices",
        "demo --port -1                          | between 0 and 65535",
    })
    void badValuesExitTwoWithOneClearLine(String args, String expected) {
        int code = run(Map.of(), args.trim().split("\\s+"));
        assertEquals(2, code, err.toString());
        String e = err.toString().strip();
        assertEquals(1, e.lines().count(), "exactly one line: " + e);
        assertTrue(e.startsWith("bitsbridge: "), e);
        assertTrue(e.contains(expected), e);
        assertFalse(e.contains("Exception") || e.contains("\tat "), "no stack trace: " + e);
    }

    @Test
    void badEnvironmentValueAlsoExitsTwo() {
        assertEquals(2, run(Map.of("BITSBRIDGE_PORT", "xyz"), "serve"));
        assertTrue(err.toString().contains("xyz"));
    }

    @Test
    void helpShowsGroupsAndExamplesAndVersionComesFromTheBuild() {
        assertEquals(0, run(Map.of(), "serve", "--help"));
        String help = out.toString();
        assertTrue(help.contains("LOCALAPPDATA%\\bitsbridge"), "a literal % in help text is escaped: " + help);
        for (String s : new String[] {"S3 upstream:", "Credentials:", "Listening:", "Limits and timeouts:",
            "Examples:", "--bucket", "--upstream-timeout", "BITSBRIDGE_"}) {
            assertTrue(help.contains(s), s + " in\n" + help);
        }
        out.getBuffer().setLength(0);
        assertEquals(0, run(Map.of(), "--version"));
        assertTrue(out.toString().startsWith("bitsbridge "), out.toString());
    }

    @ParameterizedTest
    @CsvSource({"500ms,PT0.5S", "30s,PT30S", "2m,PT2M", "1h,PT1H", "7d,PT168H", "45,PT45S"})
    void durationsAreWrittenTheWayPeopleWriteThem(String in, String expected) {
        assertEquals(Duration.parse(expected), new DurationConverter().convert(in));
    }

    @Test
    void environmentVariableNamesFollowTheOptionNames() {
        assertEquals("BITSBRIDGE_UPSTREAM_TIMEOUT", EnvironmentDefaults.variable("--upstream-timeout"));
        assertEquals("BITSBRIDGE_BUCKET", EnvironmentDefaults.variable("--bucket"));
    }
}
