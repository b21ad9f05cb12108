package dev.bitsbridge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code bitsbridge bench} against the demo: it loads, reports progress and percentiles, no errors. */
class BenchCommandTest {

    @Test
    void benchReportsThroughputAndPercentilesWithoutErrors() throws Exception {
        StringWriter demoOut = new StringWriter();
        CommandLine demoCmd = BitsBridgeCli.commandLine(Map.of(), new PrintWriter(demoOut, true),
                new PrintWriter(new StringWriter()));
        demoCmd.parseArgs("demo", "--port", "0");
        DemoCommand demo = demoCmd.getSubcommands().get("demo").getCommand();
        try (DemoCommand.Running running = demo.start()) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = BitsBridgeCli.execute(new String[] {"bench",
                "127.0.0.1:" + running.proxy.port() + "/setup.exe", // no scheme: http is meant
                "--connections", "4", "--range-size", "256K", "--duration", "2s"},
                    Map.of(), new PrintWriter(out, true), new PrintWriter(err, true));
            String o = out.toString();
            assertEquals(0, code, o + err);
            assertTrue(o.startsWith("bench http://127.0.0.1:" + running.proxy.port() + "/setup.exe: asking for its size"), o);
            assertTrue(o.contains("8388608 bytes, 4 connections, 256 KiB ranges, 2s\n"), o);
            assertTrue(o.contains("req/s"), "progress lines: " + o);
            Matcher m = Pattern.compile("requests (\\d+) in ").matcher(o);
            assertTrue(m.find(), o);
            assertTrue(Long.parseLong(m.group(1)) > 0, o);
            assertTrue(o.contains("latency p50"), o);
            assertTrue(o.contains("errors 0"), o);
        }
    }

    @Test
    void badArgumentsExitTwo() {
        StringWriter err = new StringWriter();
        int code = BitsBridgeCli.execute(new String[] {"bench", "ftp://x/y"}, Map.of(),
                new PrintWriter(new StringWriter()), new PrintWriter(err, true));
        assertEquals(2, code);
        assertTrue(err.toString().startsWith("bitsbridge: "), err.toString());
        err.getBuffer().setLength(0);
        assertEquals(2, BitsBridgeCli.execute(new String[] {"bench", "http://exa mple/ x"}, Map.of(),
                new PrintWriter(new StringWriter()), new PrintWriter(err, true)));
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
        assertTrue(err.toString().contains("is not a URL (example: http://"), err.toString());
    }
}
