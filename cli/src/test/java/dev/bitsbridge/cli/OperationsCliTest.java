package dev.bitsbridge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.testing.S3Server;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Config file precedence, config show, completion scripts, and JSON logs from a serve process. */
class OperationsCliTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(Map<String, String> env, String... args) {
        return BitsBridgeCli.execute(args, env, new PrintWriter(out, true), new PrintWriter(err, true));
    }

    private ProxyConfig serveConfig(Map<String, String> env, String... args) throws Exception {
        String[] all = new String[args.length + 1];
        all[0] = "serve";
        System.arraycopy(args, 0, all, 1, args.length);
        CommandLine cmd = BitsBridgeCli.commandLine(env, new PrintWriter(out), new PrintWriter(err), all);
        cmd.parseArgs(all);
        ServeCommand serve = cmd.getSubcommands().get("serve").getCommand();
        serve.env = env;
        return serve.config();
    }

    @Test
    void commandLineBeatsEnvironmentBeatsConfigFileBeatsDefaults(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("bitsbridge.conf"), String.join("\n",
                "# bitsbridge settings",
                "bucket = from-file",
                "port = 9100",
                "upstream_timeout = 1m     # underscores work too",
                "max-ranges = 5",
                "public-host = a.lan,b.lan",
                "dualstack = true",
                ""));
        ProxyConfig c = serveConfig(Map.of("BITSBRIDGE_PORT", "9200", "BITSBRIDGE_MAX_RANGES", "6"),
                "--config", file.toString(), "--max-ranges", "7");
        assertEquals("from-file", c.bucket());
        assertEquals(9200, c.port(), "the environment wins over the file");
        assertEquals(7, c.maxRanges(), "the command line wins over both");
        assertEquals(Duration.ofMinutes(1), c.upstreamTimeout());
        assertEquals(List.of("a.lan", "b.lan"), c.publicHosts());
        assertTrue(c.dualstack());
        assertEquals(1024, c.maxConnections(), "built-in default where nothing sets it");

        ProxyConfig viaEnv = serveConfig(Map.of("BITSBRIDGE_CONFIG", file.toString()));
        assertEquals("from-file", viaEnv.bucket(), "BITSBRIDGE_CONFIG names the file too");
        assertEquals(9100, viaEnv.port());
    }

    @Test
    void aTypoInTheConfigFileIsOneLineAndExitTwo(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("c.conf"), "bucket = b\nbukket = typo\n");
        assertEquals(2, run(Map.of(), "serve", "--config", file.toString()));
        assertEquals("bitsbridge: " + file + " line 2: unknown option 'bukket'", err.toString().strip());
        err.getBuffer().setLength(0);
        assertEquals(2, run(Map.of(), "serve", "--config", dir.resolve("missing.conf").toString()));
        assertTrue(err.toString().startsWith("bitsbridge: cannot read the config file"), err.toString());
        assertEquals(1, err.toString().strip().lines().count());
    }

    /** A bad value from the file names the file and line (picocli's type errors and serve's rules alike). */
    @Test
    void aBadValueInTheConfigFileNamesTheFileAndLine(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("c.conf"), "# settings\nbucket = b\nport = eighty\n");
        assertEquals(2, run(Map.of(), "serve", "--config", file.toString()));
        assertTrue(err.toString().startsWith("bitsbridge: " + file + " line 3: Invalid value for option '--port'"),
                err.toString());
        assertEquals(1, err.toString().strip().lines().count(), err.toString());

        err.getBuffer().setLength(0);
        Path rule = Files.writeString(dir.resolve("r.conf"), "port = 9000\nbucket = s3://b\n");
        assertEquals(2, run(Map.of(), "config", "show", "--config", rule.toString()));
        assertTrue(err.toString().startsWith("bitsbridge: " + rule + " line 2: --bucket "), err.toString());

        // The same bad value from the command line or the environment is not the file's.
        err.getBuffer().setLength(0);
        assertEquals(2, run(Map.of("BITSBRIDGE_BUCKET", "s3://e"), "config", "show", "--config", rule.toString()));
        assertTrue(err.toString().startsWith("bitsbridge: --bucket "), err.toString());
    }

    @Test
    void anOptionSetTwiceInTheConfigFileIsRefusedWithBothLines(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("c.conf"), "port = 9000\nbucket = b\nport = 9001\n");
        assertEquals(2, run(Map.of(), "serve", "--config", file.toString()));
        assertEquals("bitsbridge: " + file + " line 3: 'port' is already set on line 1; set each option once"
                + " (a repeatable option takes a comma-separated list)", err.toString().strip());
    }

    /** Every serve option is in docs/configuration.md, with its environment variable. */
    @Test
    void everyServeOptionIsDocumented() throws Exception {
        String doc = Files.readString(Path.of("..", "docs", "configuration.md"));
        CommandLine cmd = BitsBridgeCli.commandLine(Map.of(), new PrintWriter(out), new PrintWriter(err));
        List<String> missing = new java.util.ArrayList<>();
        for (picocli.CommandLine.Model.OptionSpec o : cmd.getSubcommands().get("serve").getCommandSpec().options()) {
            String name = o.longestName();
            if (o.usageHelp() || o.versionHelp()) {
                continue;
            }
            if (!doc.contains("`" + name) || !doc.contains("`" + EnvironmentDefaults.variable(name) + "`")) {
                missing.add(name);
            }
        }
        assertTrue(missing.isEmpty(), "not in docs/configuration.md (option and variable): " + missing);
    }

    @Test
    void configShowPrintsSourcesAndMasksSecrets(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("c.conf"),
                "url-vendor = https://vendor.example/sign?api_token=tok-123\nidle-timeout = 5m\n");
        assertEquals(0, run(Map.of("BITSBRIDGE_URL_VENDOR_HEADER", "Authorization: Bearer sekrit-456",
                "BITSBRIDGE_PORT", "9300"), "config", "show", "--config", file.toString(), "--drain-timeout", "10s"),
                err.toString());
        String shown = out.toString();
        assertFalse(shown.contains("tok-123"), shown);
        assertFalse(shown.contains("sekrit-456"), shown);
        assertTrue(shown.contains("url-vendor = https://vendor.example/sign?****    # config file"), shown);
        assertTrue(shown.contains("url-vendor-header = Authorization: ****    # environment BITSBRIDGE_URL_VENDOR_HEADER"),
                shown);
        assertTrue(shown.contains("port = 9300    # environment BITSBRIDGE_PORT"), shown);
        assertTrue(shown.contains("drain-timeout = 10s    # command line"), shown);
        assertTrue(shown.contains("idle-timeout = 5m    # config file " + file + " line 2"), shown);
        assertTrue(shown.contains("max-connections = 1024    # default"), shown);
        assertTrue(shown.contains("max-upload-size = 5T    # default"), shown);
        assertTrue(shown.contains("io-threads = 0    # default: one per processor, "), shown);

        // What it prints reads back as a config file with the same values.
        Path again = Files.writeString(dir.resolve("shown.conf"), shown.replace("Authorization: ****", "A: b"));
        ProxyConfig c = serveConfig(Map.of(), "--config", again.toString());
        assertEquals(9300, c.port());
        assertEquals(Duration.ofMinutes(5), c.idleTimeout());
        assertEquals(Duration.ofSeconds(10), c.drainTimeout());
    }

    @Test
    void configShowGivesEffectiveValuesOfDerivedOptions(@TempDir Path dir) throws Exception {
        Path ca = dev.bitsbridge.proxy.testing.TestCertificates.caBundle(dir.resolve("corp-ca.pem"));
        assertEquals(0, run(Map.of("AWS_CA_BUNDLE", ca.toString(), "HOME", dir.toString()), "config", "show"),
                err.toString());
        String shown = out.toString();
        assertTrue(shown.contains("ca-bundle = " + ca + "    # environment AWS_CA_BUNDLE"), shown);
        assertTrue(shown.contains("state-dir = " + StateFilesDefault.of() + "    # default"), shown);
        assertFalse(shown.contains("(not set)") && shown.contains("# ca-bundle ="), shown);
    }

    /** The state folder serve uses by default on this machine. */
    private static final class StateFilesDefault {
        static String of() {
            return dev.bitsbridge.proxy.state.StateFiles.defaultDir().toString();
        }
    }

    @Test
    void completionScriptsForBashAndPowerShell() {
        assertEquals(0, run(Map.of(), "completion", "bash"));
        String bash = out.toString();
        assertTrue(bash.contains("complete -F") && bash.contains("bitsbridge"), bash);
        assertTrue(bash.contains("--upstream-timeout") && bash.contains("serve") && bash.contains("show"), bash);
        out.getBuffer().setLength(0);
        assertEquals(0, run(Map.of(), "completion", "powershell"));
        String ps = out.toString();
        assertTrue(ps.contains("Register-ArgumentCompleter -Native -CommandName bitsbridge, bitsbridge.cmd"), ps);
        assertTrue(ps.contains("'serve' = @(") && ps.contains("'--log-format'") && ps.contains("'config show' = @("), ps);
        assertEquals(2, run(Map.of(), "completion", "fish"));
    }

    @Test
    @DisabledOnOs(OS.WINDOWS) // SIGTERM
    void jsonLogsAreOneObjectPerLineWithTheAccessFields(@TempDir Path state) throws Exception {
        try (S3Server s3 = new S3Server()) {
            s3.createBucket("logs");
            s3.put("logs", "file.bin", new byte[5000]);
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), BitsBridgeCli.class.getName(),
                    "serve", "--port", "0", "--bucket", "logs", "--endpoint", s3.endpoint().toString(),
                    "--state-dir", state.toString(), "--log-format", "json"));
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.environment().put("BITSBRIDGE_LOG_LEVEL", "debug");
            pb.environment().put("AWS_ACCESS_KEY_ID", S3Server.ACCESS_KEY);
            pb.environment().put("AWS_SECRET_ACCESS_KEY", s3.secretKey());
            pb.environment().put("AWS_REGION", "us-east-1");
            Process p = pb.start();
            BlockingQueue<String> stderr = new LinkedBlockingQueue<>();
            Thread reader = new Thread(() -> new BufferedReader(new InputStreamReader(p.getErrorStream(),
                    StandardCharsets.UTF_8)).lines().forEach(stderr::add));
            reader.setDaemon(true);
            reader.start();
            try {
                // stdout: the start-up checks' summary, then the serving line
                BufferedReader stdout = new BufferedReader(new InputStreamReader(p.getInputStream(),
                        StandardCharsets.UTF_8));
                String first = stdout.readLine();
                while (first != null && !first.contains("serving on")) {
                    first = stdout.readLine();
                }
                Matcher m = Pattern.compile("serving on http://127\\.0\\.0\\.1:(\\d+)/").matcher(String.valueOf(first));
                assertTrue(m.find(), first + " / " + stderr);
                int port = Integer.parseInt(m.group(1));
                HttpResponse<byte[]> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/file.bin?X-Amz-Signature=never-logged"))
                        .header("Range", "bytes=0-99").header("User-Agent", "Microsoft BITS/7.8").build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertEquals(206, r.statusCode());

                ObjectMapper json = new ObjectMapper();
                JsonNode access = null;
                List<String> seen = new ArrayList<>();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (access == null && System.nanoTime() < deadline) {
                    String line = stderr.poll(100, TimeUnit.MILLISECONDS);
                    if (line == null) {
                        continue;
                    }
                    seen.add(line);
                    JsonNode n = json.readTree(line); // every line must be one JSON object
                    assertTrue(n.isObject(), line);
                    assertTrue(n.hasNonNull("time") && n.hasNonNull("level") && n.hasNonNull("message"), line);
                    if ("bitsbridge.access".equals(n.path("logger").asText())) {
                        access = n;
                    }
                }
                assertTrue(access != null, "no access log line among " + seen);
                assertEquals("GET", access.path("method").asText());
                assertEquals("/file.bin", access.path("path").asText());
                assertEquals(206, access.path("status").asInt());
                assertTrue(access.path("status").isNumber() && access.path("bytes").isNumber());
                assertEquals(100, access.path("bytes").asLong());
                assertTrue(access.path("duration_ms").isNumber(), access.toString());
                assertEquals("bytes=0-99", access.path("range").asText());
                assertEquals("Microsoft BITS/7.8", access.path("user_agent").asText());
                assertFalse(access.path("upstream_request_id").asText().isEmpty(), access.toString());
                assertEquals("127.0.0.1", access.path("client").asText(), "the client's address: " + access);
                assertTrue(seen.stream().anyMatch(l -> l.contains("\"level\":\"DEBUG\"")), "--log-level from the env");
                assertFalse(String.join("\n", seen).contains("never-logged"));
                assertFalse(String.join("\n", seen).contains(s3.secretKey()));
            } finally {
                p.destroy();
                p.waitFor(30, TimeUnit.SECONDS);
                p.destroyForcibly();
            }
        }
    }
}
