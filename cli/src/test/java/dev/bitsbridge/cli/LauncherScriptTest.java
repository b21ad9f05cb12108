package dev.bitsbridge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sh launcher (cli/src/main/dist/bitsbridge) run as a user runs it, with a stand-in Java
 * installation (a script that records the options it was started with and plays the proxy: it
 * writes the launcher's ".ok" marker when asked to serve), so what the script decides is checked
 * without starting a JVM: it refuses an old Java with one clear line, and records the class-data
 * archive only on a 'serve' that really served.
 */
class LauncherScriptTest {

    private static final Path SCRIPT = Path.of("src/main/dist/bitsbridge").toAbsolutePath();

    @TempDir
    Path tmp;
    private Path home;
    private Path cache;
    private Path args;

    @BeforeEach
    void install() throws IOException {
        assumeTrue(Files.isExecutable(Path.of("/bin/sh")), "needs /bin/sh");
        Path dist = Files.createDirectories(tmp.resolve("dist"));
        Files.copy(SCRIPT, dist.resolve("bitsbridge"));
        Files.write(dist.resolve("bitsbridge.jar"), new byte[] {1, 2, 3});
        home = Files.createDirectories(tmp.resolve("jdk"));
        cache = tmp.resolve("cache");
        args = tmp.resolve("args");
        javaVersion("17.0.9");
        // A stand-in java: records its arguments; as a proxy that binds its port, writes the marker.
        Path java = Files.createDirectories(home.resolve("bin")).resolve("java");
        Files.writeString(java, "#!/bin/sh\n"
                + "if [ \"$1\" = -version ]; then echo 'openjdk version \"'\"$FAKE_VERSION\"'\" 2024-01-16' >&2; exit 0; fi\n"
                + "echo \"$@\" > \"" + args + "\"\n"
                // The JVM writes the archive at exit whatever happened; the proxy writes the
                // marker only once it serves (a failing serve exits 2 before that).
                + "for a in \"$@\"; do case $a in -XX:ArchiveClassesAtExit=*) echo archive > \"${a#*=}\" ;; esac; done\n"
                + "[ -n \"$FAIL_SERVE\" ] && exit 2\n"
                + "for a in \"$@\"; do case $a in -Dbitsbridge.cds.recording=*) : > \"${a#*=}\" ;; esac; done\n"
                + "exit 0\n");
        java.toFile().setExecutable(true);
    }

    private void javaVersion(String v) throws IOException {
        Files.writeString(home.resolve("release"), "JAVA_VERSION=\"" + v + "\"\nIMPLEMENTOR=\"test\"\n");
    }

    private record Run(int exit, String err) {
    }

    private Run run(Map<String, String> extraEnv, String... cmd) throws Exception {
        List<String> c = new ArrayList<>(List.of("/bin/sh", tmp.resolve("dist/bitsbridge").toString()));
        c.addAll(List.of(cmd));
        ProcessBuilder pb = new ProcessBuilder(c).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("JAVA_HOME", home.toString());
        pb.environment().put("BITSBRIDGE_CDS_DIR", cache.toString());
        pb.environment().put("FAKE_VERSION", "17.0.9");
        pb.environment().putAll(extraEnv);
        Process p = pb.start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        return new Run(p.exitValue(), err);
    }

    private String recordedArgs() throws IOException {
        return Files.readString(args);
    }

    @Test
    void refusesJavaOlderThan17WithOneLine() throws Exception {
        javaVersion("11.0.21");
        Run r = run(Map.of(), "serve");
        assertEquals(1, r.exit());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("Java 17 or newer is needed") && r.err().contains("11.0.21"), r.err());
        assertFalse(Files.exists(args), "the jar was not started");

        javaVersion("1.8.0_392");
        assertTrue(run(Map.of(), "serve").err().contains("1.8.0_392"));
    }

    @Test
    void javaVersionFromJavaItselfWhenThereIsNoReleaseFile() throws Exception {
        Files.delete(home.resolve("release"));
        assertEquals(1, run(Map.of("FAKE_VERSION", "16.0.2"), "serve").exit());
        assertEquals(0, run(Map.of("FAKE_VERSION", "21.0.1"), "serve").exit());
    }

    @Test
    void helpNeverRecordsAnArchive() throws Exception {
        run(Map.of(), "serve", "--help");
        assertFalse(recordedArgs().contains("ArchiveClassesAtExit"), recordedArgs());
        run(Map.of(), "--version");
        assertFalse(recordedArgs().contains("ArchiveClassesAtExit"), recordedArgs());
    }

    @Test
    void onlyAServeThatServedLeavesAnArchiveThatLaterRunsMap() throws Exception {
        // A serve that fails on a bad option: no marker, so its archive is not used...
        run(Map.of("FAIL_SERVE", "1"), "serve", "--port", "-1");
        assertTrue(recordedArgs().contains("-XX:ArchiveClassesAtExit="), recordedArgs());
        run(Map.of(), "config", "show");
        assertFalse(recordedArgs().contains("SharedArchiveFile"), "an archive of a failed serve is not mapped");

        // ...and the next serve records again; once it has served, every run maps the archive.
        run(Map.of(), "serve", "--bucket", "b");
        assertTrue(recordedArgs().contains("-XX:ArchiveClassesAtExit="), recordedArgs());
        run(Map.of(), "config", "show");
        assertTrue(recordedArgs().contains("-XX:SharedArchiveFile="), recordedArgs());
        run(Map.of(), "serve", "--bucket", "b");
        assertTrue(recordedArgs().contains("-XX:SharedArchiveFile="), recordedArgs());
    }
}
