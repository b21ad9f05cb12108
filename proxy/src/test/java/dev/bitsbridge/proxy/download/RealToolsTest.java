package dev.bitsbridge.proxy.download;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.bitsbridge.proxy.testing.ProxyFixture;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The download tools people use, through the proxy: curl resuming with {@code -C -}, wget resuming
 * with {@code -c}, aria2c splitting one file over 8 connections. Each result is compared by SHA-256.
 * A test skips itself where its tool is not installed (CI installs them).
 */
class RealToolsTest {

    static final byte[] DATA = new byte[24 * 1024 * 1024 + 4099];

    static {
        new Random(24).nextBytes(DATA);
    }

    @RegisterExtension
    static final ProxyFixture fx = ProxyFixture.builder().bucket("tools").object("pkg/tool setup.msi", DATA).build();

    @TempDir
    Path dir;

    static String url() {
        return fx.url("/pkg/tool%20setup.msi").toString();
    }

    static boolean installed(String tool) {
        for (String p : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(p, tool))) {
                return true;
            }
        }
        return false;
    }

    static void run(Path dir, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("tool.log").toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(cmd[0] + " did not finish");
        }
        assertEquals(0, p.exitValue(), cmd[0] + " failed: " + Files.readString(dir.resolve("tool.log")));
    }

    static void assertSameFile(Path file) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        assertArrayEquals(sha.digest(DATA), MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)),
                file + " is byte-exact");
    }

    /** A partial file, as an interrupted download leaves it. */
    Path partial(String name, int bytes) throws Exception {
        Path f = dir.resolve(name);
        Files.write(f, Arrays.copyOf(DATA, bytes));
        return f;
    }

    @Test
    void curlResumesAPartialDownload() throws Exception {
        assumeTrue(installed("curl"), "curl not installed");
        Path f = partial("setup.msi", 7 * 1024 * 1024 + 3);
        run(dir, "curl", "-sS", "-f", "-C", "-", "-o", f.toString(), url());
        assertSameFile(f);
    }

    @Test
    void wgetResumesAPartialDownload() throws Exception {
        assumeTrue(installed("wget"), "wget not installed");
        Path f = partial("setup.msi", 11 * 1024 * 1024 + 1);
        run(dir, "wget", "-q", "-c", "-O", f.toString(), url());
        assertSameFile(f);
    }

    @Test
    void aria2cSplitsOverEightConnections() throws Exception {
        assumeTrue(installed("aria2c"), "aria2c not installed");
        List<String> cmd = new ArrayList<>(List.of("aria2c", "-q", "-x8", "-s8", "-k1M", "--file-allocation=none",
                "--allow-overwrite=true", "-d", dir.toString(), "-o", "setup.msi", url()));
        run(dir, cmd.toArray(String[]::new));
        assertSameFile(dir.resolve("setup.msi"));
    }
}
