package dev.bitsbridge.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
        java.nio.file.Path dir;
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
            // The printed status page URL carries the admin token in its fragment: status.json
            // answers with it, and the metrics command's token is the same file.
            java.util.regex.Matcher page = java.util.regex.Pattern
                    .compile(java.util.regex.Pattern.quote(base + "_bitsbridge/#token=") + "(\\S+)").matcher(guide);
            assertTrue(page.find(), guide);
            HttpResponse<String> status = http.send(HttpRequest.newBuilder(URI.create(base + "_bitsbridge/status.json"))
                    .header("Authorization", "Bearer " + page.group(1)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, status.statusCode(), status.body());
            assertTrue(guide.contains("Authorization: Bearer $(cat " + running.dir.resolve("state").resolve("admin-token")
                    + ")\" " + base + "_bitsbridge/metrics"), guide);
            assertTrue(guide.contains("curl --limit-rate 1M -o big.iso " + base + "big.iso"), guide);
            HttpResponse<Void> bigHead = http.send(HttpRequest.newBuilder(URI.create(base + "big.iso"))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
            assertEquals(String.valueOf(64 * 1024 * 1024), bigHead.headers().firstValue("Content-Length").orElseThrow());

            // Uploads are on, as the guide says: a BITS upload lands and comes back byte-exact.
            assertTrue(guide.contains("Start-BitsTransfer -TransferType Upload -Source .\\setup.exe -Destination "
                    + base + "uploads/setup-copy.exe"), guide);
            byte[] upload = Arrays.copyOf(setup, 3 * 1024 * 1024 + 17);
            try (dev.bitsbridge.proxy.testing.BitsUploadClient bits =
                    new dev.bitsbridge.proxy.testing.BitsUploadClient(running.proxy.port())) {
                assertEquals(200, bits.upload("/uploads/copy.bin", upload, 1024 * 1024).status());
            }
            assertArrayEquals(upload, http.send(HttpRequest.newBuilder(URI.create(base + "uploads/copy.bin")).build(),
                    HttpResponse.BodyHandlers.ofByteArray()).body());

            // The embedded S3's credentials are printed, with commands for other tools.
            java.util.regex.Matcher keys = java.util.regex.Pattern
                    .compile("access key (DEMO[0-9A-F]{12}), secret key ([0-9a-f]{40})").matcher(guide);
            assertTrue(keys.find(), guide);
            assertTrue(guide.contains("AWS_ACCESS_KEY_ID=" + keys.group(1) + " AWS_SECRET_ACCESS_KEY=" + keys.group(2)
                    + " aws --endpoint-url " + running.s3.endpoint()), guide);
            assertTrue(guide.contains("rclone lsl :s3:"), guide);
            dir = running.dir;
        }
        assertFalse(java.nio.file.Files.exists(dir), "the demo's folder is deleted when it stops");
    }

    @Test
    void aPortInUseIsOneClearLineAndExitTwoAndLeavesNothingBehind() throws Exception {
        java.util.Set<String> before = demoFolders();
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            StringWriter err = new StringWriter();
            int code = BitsBridgeCli.execute(new String[] {"demo", "--port", String.valueOf(taken.getLocalPort())},
                    Map.of(), new PrintWriter(new StringWriter()), new PrintWriter(err, true));
            assertEquals(2, code, err.toString());
            assertTrue(err.toString().contains("is in use; choose another with --port"), err.toString());
            assertEquals(1, err.toString().strip().lines().count(), err.toString());
        }
        assertEquals(before, demoFolders(), "no demo folder left in " + System.getProperty("java.io.tmpdir"));
    }

    private static java.util.Set<String> demoFolders() throws java.io.IOException {
        try (java.util.stream.Stream<java.nio.file.Path> s = java.nio.file.Files.list(
                java.nio.file.Path.of(System.getProperty("java.io.tmpdir")))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("bitsbridge-demo"))
                    .collect(java.util.stream.Collectors.toSet());
        }
    }
}
