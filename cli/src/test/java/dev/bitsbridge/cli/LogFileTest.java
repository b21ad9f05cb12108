package dev.bitsbridge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;

/**
 * {@code --log-file} as a Windows service uses it: every line (the access log too) in one file,
 * rotated by size into FILE.1..FILE.N, never more files than asked for. Runs on a logging context
 * of its own, so the test suite's logging is untouched.
 */
class LogFileTest {

    @Test
    void rotatesBySizeAndKeepsTheConfiguredNumberOfFiles(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("logs/bitsbridge.log");
        Files.createDirectories(file.getParent());
        LoggerContext ctx = new LoggerContext();
        ctx.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter()); // as logback's own start-up does
        try {
            LogSetup.installFile(ctx, LogSetup.Format.TEXT, Level.INFO, new LogSetup.LogFile(file, 16 * 1024, 3));
            Logger app = ctx.getLogger("dev.bitsbridge.proxy.server.BitsBridgeServer");
            Logger access = ctx.getLogger("bitsbridge.access");
            String pad = "x".repeat(200);
            long deadline = System.nanoTime() + 20_000_000_000L;
            int i = 0;
            // Until the oldest kept file exists (three rotations) and one more rotation has happened.
            while (!Files.exists(dir.resolve("logs/bitsbridge.log.3")) || i < 2000) {
                app.info("line {} {}", i, pad);
                access.info("GET /k 200 {}", i);
                if (++i % 50 == 0) {
                    LogSetup.flushAccessLog();
                    Thread.sleep(20); // pacing: the size is looked at every 500 ms
                }
                assertTrue(System.nanoTime() < deadline, "no rotation after " + i + " lines: "
                        + ctx.getStatusManager().getCopyOfStatusList());
            }
            app.info("the last line");
            LogSetup.flushAccessLog();

            List<String> names;
            try (Stream<Path> s = Files.list(file.getParent())) {
                names = s.map(p -> p.getFileName().toString()).sorted().toList();
            }
            assertEquals(List.of("bitsbridge.log", "bitsbridge.log.1", "bitsbridge.log.2", "bitsbridge.log.3"), names);
            String current = Files.readString(file);
            assertTrue(current.contains("INFO  d.b.p.s.BitsBridgeServer - the last line"), "flushed: " + current.length());
            String older = Files.readString(dir.resolve("logs/bitsbridge.log.1"));
            assertTrue(older.contains("GET /k 200"), "the access log goes to the same file");
            for (String n : names) {
                // Past the rotation size by at most half a second of lines (the size check interval):
                // at this test's pace well under 1 MiB.
                assertTrue(Files.size(file.getParent().resolve(n)) < 1024 * 1024, n + " stays near the rotation size");
            }
            assertFalse(Files.exists(dir.resolve("logs/bitsbridge.log.4")));
        } finally {
            ctx.stop();
        }
    }
}
