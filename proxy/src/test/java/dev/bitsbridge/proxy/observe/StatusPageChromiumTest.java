package dev.bitsbridge.proxy.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.testing.RawHttp;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.S3Server;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live status page in a real browser: a BITS-like client downloads a 16 MiB object and
 * stalls after 1 MiB (so the transfer stays in progress), another request fails with 404, and
 * headless Chromium loads {@code /_bitsbridge/}. The page's script must have fetched
 * {@code status.json} and drawn the transfer (key, client, a progress bar at bytes done of the
 * total) and the error. Skipped where no Chromium is installed.
 */
class StatusPageChromiumTest {

    private static final int SIZE = 16 * 1024 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    static String chromium() {
        String configured = System.getenv("BITSBRIDGE_CHROMIUM");
        List<String> names = configured != null ? List.of(configured)
                : List.of("chromium", "chromium-browser", "google-chrome", "google-chrome-stable");
        for (String n : names) {
            if (n.contains(File.separator) && Files.isExecutable(Path.of(n))) {
                return n;
            }
            for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
                if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, n))) {
                    return Path.of(dir, n).toString();
                }
            }
        }
        return null;
    }

    private static String adminToken;

    private static JsonNode status(int port) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/_bitsbridge/status.json"))
                .header("Authorization", "Bearer " + adminToken).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        return JSON.readTree(r.body());
    }

    @Test
    void pageShowsAStalledTransferWithItsProgressAndARecentError(@TempDir Path tmp) throws Exception {
        String chromium = chromium();
        Assumptions.assumeTrue(chromium != null, "no chromium on PATH (apt-get install chromium)");
        byte[] data = new byte[SIZE];
        new Random(3).nextBytes(data);
        try (S3Server s3 = new S3Server()) {
            s3.createBucket("page");
            s3.put("page", "releases/setup-2.1.msi", data);
            try (BitsBridgeServer proxy = new BitsBridgeServer(ProxyConfig.builder().port(0).bucket("page")
                    .endpoint(s3.endpoint()).build(), s3.credentials()).start();
                    RawHttp bits = RawHttp.connect(proxy.port(), 16 * 1024)) {
                int port = proxy.port();
                adminToken = proxy.adminToken();
                assertEquals(404, RawHttp.exchange(port, RawHttp.get("/releases/missing.msi")).status());

                bits.send(RawHttp.get("/releases/setup-2.1.msi", "User-Agent: Microsoft BITS/7.8"));
                RawHttp.Response head = bits.readHead();
                assertEquals(200, head.status());
                ByteArrayOutputStream first = new ByteArrayOutputStream();
                assertTrue(bits.readBody(first, 1024 * 1024));
                assertTrue(Arrays.equals(Arrays.copyOf(data, 1024 * 1024), first.toByteArray()));
                // From here the client reads nothing: the transfer stays in progress.

                JsonNode s = status(port);
                assertEquals(1, s.path("active").size(), s.toString());
                JsonNode t = s.path("active").get(0);
                assertEquals("/releases/setup-2.1.msi", t.path("path").asText());
                assertEquals(SIZE, t.path("total").asLong());
                long done = t.path("bytes").asLong();
                assertTrue(done >= 1024 * 1024 && done < SIZE, s.toString());
                assertEquals(bits.socket().getLocalPort(),
                        Integer.parseInt(t.path("client").asText().replaceAll(".*:", "")));

                String dom = dumpDom(chromium, tmp, "http://127.0.0.1:" + port + "/_bitsbridge/#token=" + adminToken);
                Matcher row = Pattern.compile("<tr data-id=\"\\d+\" data-path=\"/releases/setup-2\\.1\\.msi\">(.*?)</tr>",
                        Pattern.DOTALL).matcher(dom);
                assertTrue(row.find(), "no row for the transfer in:\n" + dom);
                String cells = row.group(1);
                assertTrue(cells.contains("127.0.0.1:" + bits.socket().getLocalPort()), cells);
                Matcher bar = Pattern.compile("<progress (?:max=\"(\\d+)\" value=\"(\\d+)\"|value=\"(\\d+)\" max=\"(\\d+)\")")
                        .matcher(cells);
                assertTrue(bar.find(), "no progress bar with a value in: " + cells);
                long max = Long.parseLong(bar.group(1) != null ? bar.group(1) : bar.group(4));
                long value = Long.parseLong(bar.group(2) != null ? bar.group(2) : bar.group(3));
                assertEquals(SIZE, max, cells);
                assertTrue(value >= 1024 * 1024 && value < SIZE, cells);
                assertTrue(cells.contains(" of 16.0 MiB ("), cells);
                assertTrue(dom.contains("GET /releases/missing.msi"), "the 404 is not among the recent errors:\n" + dom);
                // Its note says why: the object S3 was asked for.
                assertTrue(dom.contains("<td>no such object: s3://page/releases/missing.msi"),
                        "the 404's note does not name the object:\n" + dom);
                assertTrue(!dom.contains("Loading…") && dom.contains("<p id=\"no-active\" class=\"empty\" hidden=\"\""),
                        dom);
                assertTrue(dom.contains("id=\"conn\" class=\"conn\">live<"), "the page did not say it is live:\n" + dom);
                // The page names its own (empty) icon: a browser viewing it does not add a
                // /favicon.ico 404 to the errors an operator reads.
                String errors = status(port).path("recent_errors").toString();
                assertTrue(!errors.contains("favicon"), errors);

                // The client gives up: the transfer leaves the list and is recorded as cut off.
                bits.close();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                JsonNode after = status(port);
                while (after.path("active").size() > 0 && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                    after = status(port);
                }
                assertEquals(0, after.path("active").size(), after.toString());
                JsonNode latest = after.path("recent_errors").get(0);
                assertEquals("/releases/setup-2.1.msi", latest.path("path").asText(), after.toString());
                assertTrue(latest.path("note").asText().contains("closed before"), after.toString());
            }
        }
    }

    /**
     * Until status.json has answered, the page says so instead of "No transfers in progress":
     * here it never answers (no admin token in the address), and the page must not claim that
     * nothing is going on.
     */
    @Test
    void pageWithoutAnAnswerDoesNotClaimThereAreNoTransfers(@TempDir Path tmp) throws Exception {
        String chromium = chromium();
        Assumptions.assumeTrue(chromium != null, "no chromium on PATH (apt-get install chromium)");
        try (S3Server s3 = new S3Server()) {
            s3.createBucket("page");
            try (BitsBridgeServer proxy = new BitsBridgeServer(ProxyConfig.builder().port(0).bucket("page")
                    .endpoint(s3.endpoint()).build(), s3.credentials()).start()) {
                String page = RawHttp.exchange(proxy.port(), RawHttp.get("/_bitsbridge/")).text();
                assertTrue(page.contains("<p id=\"no-active\" class=\"empty\">Loading…</p>"), page);
                String dom = dumpDom(chromium, tmp, "http://127.0.0.1:" + proxy.port() + "/_bitsbridge/");
                assertTrue(!dom.contains("No transfers in progress") && !dom.contains("No errors."), dom);
                assertTrue(dom.contains("Not known yet: the page has no admin token."), dom);
            }
        }
    }

    /** Loads the page in headless Chromium and returns the DOM after its script ran a few polls. */
    static String dumpDom(String chromium, Path tmp, String url) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--disable-dev-shm-usage", "--user-data-dir=" + tmp.resolve("profile"),
                // Virtual time waits for the page's fetches and timers: ~3 polls, no wall-clock sleep.
                "--virtual-time-budget=3500", "--dump-dom", url));
        Process p = new ProcessBuilder(cmd).redirectError(tmp.resolve("chromium.err").toFile()).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("chromium did not finish within 60 s");
        }
        String dom = new String(out, StandardCharsets.UTF_8);
        assertTrue(dom.contains("<html"), "chromium printed no DOM (exit " + p.exitValue() + "): "
                + Files.readString(tmp.resolve("chromium.err")));
        return dom;
    }
}
