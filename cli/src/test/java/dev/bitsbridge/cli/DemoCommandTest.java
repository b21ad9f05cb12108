package dev.bitsbridge.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.testing.Await;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The demo really works: seeded objects come through the proxy byte-exact, and the guide says how. */
class DemoCommandTest {

    @Test
    void demoServesItsSampleFilesThroughTheProxy() throws Exception {
        StringWriter out = new StringWriter();
        CommandLine cmd = BitsBridgeCli.commandLine(Map.of(), new PrintWriter(out, true), new PrintWriter(new StringWriter()));
        cmd.parseArgs("demo", "--port", "0");
        DemoCommand demo = cmd.getSubcommands().get("demo").getCommand();
        try (DemoCommand.Running running = demo.start()) {
            String base = "http://127.0.0.1:" + running.proxy.port() + "/";
            String guide = out.toString();
            assertTrue(guide.contains(base + "setup.exe"), guide);
            assertTrue(guide.contains("Start-BitsTransfer -Source " + base + "setup.exe"), guide);
            assertTrue(guide.contains("bitsadmin /transfer"), guide);
            assertTrue(guide.contains(DemoCommand.sha256(running.objects.get("setup.exe"))), guide);
            assertTrue(guide.contains(base + "data/report%202026.pdf"), "keys are printed percent-encoded");

            HttpClient http = HttpClient.newHttpClient();
            byte[] setup = running.objects.get("setup.exe");
            HttpResponse<Void> head = http.send(HttpRequest.newBuilder(URI.create(base + "setup.exe"))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
            assertEquals(200, head.statusCode());
            assertEquals(String.valueOf(setup.length), head.headers().firstValue("Content-Length").orElseThrow());

            HttpResponse<byte[]> get = http.send(HttpRequest.newBuilder(URI.create(base + "setup.exe")).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertArrayEquals(setup, get.body());

            HttpResponse<byte[]> range = http.send(HttpRequest.newBuilder(URI.create(base + "data/report%202026.pdf"))
                    .header("Range", "bytes=1000-1999").build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(206, range.statusCode());
            assertArrayEquals(Arrays.copyOfRange(running.objects.get("data/report 2026.pdf"), 1000, 2000), range.body());

            // The printed one-time share link: one whole download, then 410 Gone.
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("curl -o shared\\.exe \"([^\"]+)\"").matcher(guide);
            assertTrue(m.find(), guide);
            URI shared = URI.create(m.group(1));
            HttpResponse<byte[]> first = http.send(HttpRequest.newBuilder(shared).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, first.statusCode());
            assertArrayEquals(setup, first.body());
            // Spent is recorded once the last byte is written, which may be just after the client read it.
            Await.value(Duration.ofSeconds(10), () -> http.send(HttpRequest.newBuilder(shared).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode(), s -> s == 410, "the one-time link spent");
            assertTrue(guide.contains(base + "_bitsbridge/"), "the status page is named");
            assertTrue(guide.contains("curl --limit-rate 1M -o big.iso " + base + "big.iso"), guide);
            HttpResponse<Void> bigHead = http.send(HttpRequest.newBuilder(URI.create(base + "big.iso"))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
            assertEquals(String.valueOf(64 * 1024 * 1024), bigHead.headers().firstValue("Content-Length").orElseThrow());
        }
    }

    @Test
    void aPortInUseIsOneClearLineAndExitTwo() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            StringWriter err = new StringWriter();
            int code = BitsBridgeCli.execute(new String[] {"demo", "--port", String.valueOf(taken.getLocalPort())},
                    Map.of(), new PrintWriter(new StringWriter()), new PrintWriter(err, true));
            assertEquals(2, code, err.toString());
            assertTrue(err.toString().contains("is in use; choose another with --port"), err.toString());
            assertEquals(1, err.toString().strip().lines().count(), err.toString());
        }
    }
}
