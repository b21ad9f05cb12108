package dev.bitsbridge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
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
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built jars as a user gets them: bitsbridge.jar alone (the distribution) and beside
 * demo/bitsbridge-demo-s3.jar (a build from source). Unlike the other tests, which run on the
 * Maven class path (s3proxy included), these run {@code java -jar} on target/bitsbridge.jar, so a
 * class the lean jar lacks shows up here. Run by the surefire execution "jars" in the verify
 * phase, after package (cli/pom.xml); not by the ordinary test phase.
 */
class LeanJarIT {

    /** Issue #14: the jar a user installs stays at or under 25 MB. */
    static final long MAX_BYTES = 25_000_000L;

    static final Path TARGET = Path.of(System.getProperty("bitsbridge.target", "target")).toAbsolutePath();
    static final Path JAR = TARGET.resolve("bitsbridge.jar");
    static final Path DEMO_JAR = TARGET.resolve(DemoCommand.S3_JAR);

    /** Only after package: -Dtest=LeanJarIT also selects it in the test phase, where the jars are stale or missing. */
    @BeforeAll
    static void onlyInTheVerifyPhase() {
        assumeTrue(System.getProperty("bitsbridge.target") != null, "runs in the verify phase (surefire execution \"jars\")");
    }

    @Test
    void theLeanJarIsSmallHoldsNoS3ProxyAndNamesTheDemoJar() throws Exception {
        assertTrue(Files.size(JAR) <= MAX_BYTES, JAR + " is " + Files.size(JAR) + " bytes, over " + MAX_BYTES);
        Set<String> lean = entries(JAR);
        assertTrue(lean.contains("META-INF/native/libnetty_transport_native_epoll_x86_64.so"), "epoll for Linux x86-64");
        assertTrue(lean.contains("META-INF/native/libnetty_transport_native_epoll_aarch_64.so"), "epoll for Linux aarch64");
        assertTrue(lean.contains("META-INF/native/libnetty_tcnative_linux_x86_64.so"), "BoringSSL for Linux x86-64");
        for (String prefix : List.of("org/gaul/", "org/eclipse/jetty/", "com/google/common/", "META-INF/native/libnetty_quiche",
                "org/apache/hc/", "software/amazon/awssdk/http/apache")) {
            assertFalse(lean.stream().anyMatch(e -> e.startsWith(prefix)), prefix + " is in " + JAR);
        }
        try (JarFile jar = new JarFile(JAR.toFile())) {
            assertEquals(DemoCommand.S3_JAR, jar.getManifest().getMainAttributes().getValue("Class-Path"));
        }
        Set<String> demo = entries(DEMO_JAR);
        assertTrue(demo.contains("org/gaul/s3proxy/S3Proxy.class"), DEMO_JAR.toString());
        Set<String> both = lean.stream().filter(e -> e.endsWith(".class") && demo.contains(e))
                .collect(Collectors.toCollection(TreeSet::new));
        assertTrue(both.isEmpty(), "classes in both jars (exclude them in src/assembly/demo-s3.xml): " + both);
    }

    @Test
    void aloneTheDemoSaysWhatIsMissingInOneLineAndExitsTwo(@TempDir Path dir) throws Exception {
        Path jar = Files.copy(JAR, dir.resolve("bitsbridge.jar"));
        Result r = run(dir, List.of("-jar", jar.toString(), "demo", "--port", "0"));
        assertEquals(2, r.exit, r.toString());
        assertEquals(List.of("bitsbridge: " + DemoCommand.missingS3Jar().replace(DemoCommand.S3_JAR + " beside bitsbridge.jar",
                dir.resolve(DemoCommand.S3_JAR).toString())), r.err, r.toString());
        assertTrue(r.err.get(0).contains("build from source"), r.toString());
        assertTrue(r.out.isEmpty(), r.toString());
    }

    @Test
    void aloneItServesHealthAndMetricsOnTheNativeTransport(@TempDir Path dir) throws Exception {
        Path jar = Files.copy(JAR, dir.resolve("bitsbridge.jar"));
        serve(dir, jar);
    }

    @Test
    void besideTheDemoJarServeLoadsNoS3ProxyClass(@TempDir Path dir) throws Exception {
        List<String> loaded = serve(dir, JAR);
        assertTrue(loaded.stream().anyMatch(l -> l.contains("dev.bitsbridge.cli.ServeCommand")), "class loading was logged");
        assertFalse(loaded.stream().anyMatch(l -> l.contains("org.gaul.") || l.contains("org.eclipse.jetty.")
                || l.contains("dev.bitsbridge.cli.EmbeddedS3")), "serve loaded s3proxy or Jetty");
        for (List<String> args : List.of(List.of("--help"), List.of("serve", "--help"), List.of("config", "show", "--bucket", "b"),
                List.of("share", "--help"), List.of("bench", "--help"))) {
            List<String> cmd = new ArrayList<>(List.of("-Xlog:class+load=info:file=" + dir.resolve("classes.txt"), "-jar", JAR.toString()));
            cmd.addAll(args);
            Result r = run(dir, cmd);
            assertEquals(0, r.exit, args + ": " + r);
            List<String> classes = Files.readAllLines(dir.resolve("classes.txt"));
            assertFalse(classes.stream().anyMatch(l -> l.contains("org.gaul.") || l.contains("org.eclipse.jetty.")), args + " loaded s3proxy");
        }
    }

    @Test
    void besideTheDemoJarTheDemoServesItsSamples(@TempDir Path dir) throws Exception {
        Process p = new ProcessBuilder(java(), "-jar", JAR.toAbsolutePath().toString(), "demo", "--port", "0")
                .directory(dir.toFile()).redirectErrorStream(true).start();
        try {
            BufferedReader lines = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            Pattern proxy = Pattern.compile("bitsbridge proxy: +(http://127\\.0\\.0\\.1:\\d+/)");
            String base = null;
            StringBuilder seen = new StringBuilder();
            for (String line; (line = lines.readLine()) != null; ) {
                seen.append(line).append('\n');
                Matcher m = proxy.matcher(line);
                if (m.find()) {
                    base = m.group(1);
                }
                if (line.contains("Press Ctrl-C")) {
                    break;
                }
            }
            assertTrue(base != null, seen.toString());
            drain(lines);
            HttpResponse<String> hello = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + "hello.txt"))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, hello.statusCode(), hello.body());
            assertTrue(hello.body().startsWith("Hello from bitsbridge"), hello.body());
        } finally {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    /** Runs serve on a port of its own against an endpoint nobody answers; returns the classes it loaded. */
    private static List<String> serve(Path dir, Path jar) throws Exception {
        Path classes = dir.resolve("serve-classes.txt");
        Process p = new ProcessBuilder(java(), "-Xlog:class+load=info:file=" + classes, "-jar", jar.toAbsolutePath().toString(),
                "serve", "--skip-checks", "--port", "0", "--bucket", "x", "--endpoint", "http://127.0.0.1:1", "--path-style",
                "--state-dir", dir.resolve("state").toString())
                .directory(dir.toFile()).redirectErrorStream(true).start();
        try {
            p.getOutputStream().close();
            BufferedReader lines = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            Pattern listening = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+) \\((\\w+) transport\\)");
            int port = -1;
            String transport = null;
            StringBuilder seen = new StringBuilder();
            for (String line; (line = lines.readLine()) != null; ) {
                seen.append(line).append('\n');
                Matcher m = listening.matcher(line);
                if (m.find()) {
                    port = Integer.parseInt(m.group(1));
                    transport = m.group(2);
                    break;
                }
            }
            assertTrue(port > 0, seen.toString());
            drain(lines);
            String os = System.getProperty("os.name").toLowerCase();
            String arch = System.getProperty("os.arch");
            if (os.contains("linux") && Set.of("amd64", "x86_64", "aarch64").contains(arch)) {
                assertEquals("epoll", transport, "the native transport loads from the jar: " + seen);
            }
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + port + "/_bitsbridge/";
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(base + "health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode(), health.body());
            assertTrue(health.body().contains("\"ok\""), health.body());
            // Metrics are behind the admin token, which serve created in its state folder.
            String token = java.nio.file.Files.readString(dir.resolve("state").resolve("admin-token")).strip();
            HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(base + "metrics"))
                    .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, metrics.statusCode(), metrics.body());
            assertTrue(metrics.body().contains("# TYPE bitsbridge_"), metrics.body());
        } finally {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        return Files.readAllLines(classes);
    }

    record Result(int exit, List<String> out, List<String> err) { }

    private static Result run(Path dir, List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(java()));
        cmd.addAll(args);
        Path out = dir.resolve("out.txt");
        Path err = dir.resolve("err.txt");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        p.getOutputStream().close();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "finished: " + cmd);
        return new Result(p.exitValue(), Files.readAllLines(out), Files.readAllLines(err));
    }

    private static void drain(BufferedReader lines) {
        Thread t = new Thread(() -> {
            try {
                while (lines.readLine() != null) {
                    // the process' log, not needed
                }
            } catch (IOException e) {
                // closed
            }
        });
        t.setDaemon(true);
        t.start();
    }

    private static Set<String> entries(Path jar) throws IOException {
        try (JarFile j = new JarFile(jar.toFile())) {
            return j.stream().map(e -> e.getName()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
