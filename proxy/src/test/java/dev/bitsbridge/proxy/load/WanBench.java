package dev.bitsbridge.proxy.load;

import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.testing.RawHttp;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.S3Server;
import dev.bitsbridge.proxy.testing.WanLink;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * The WAN benchmark of docs/performance.md, not part of the test suite (it runs only with
 * {@code -Dbitsbridge.bench=wan}, see docs/bench/wan.sh). s3proxy sits behind a {@link WanLink}
 * (default 40 ms RTT, 512 KiB window per connection); direct clients (curl, aria2c) fetch a
 * presigned URL through the link, and bitsbridge's upstream goes through the same link. Prints a
 * table of medians and writes it to docs/bench/wan-results.md.
 */
@EnabledIfSystemProperty(named = "bitsbridge.bench", matches = "wan")
class WanBench {

    private static final long MIB = 1024 * 1024;
    private final long size = Long.getLong("bench.sizeMib", 256) * MIB;
    private final String rtts = System.getProperty("bench.rttMs", "40,80");
    private final String loadBefore = load();
    private int rttMs;
    /** The direct single connection's figure on the current link: the rows' reference. */
    private double direct = Double.NaN;
    private final int window = Integer.getInteger("bench.windowKib", 512) * 1024;
    private final int runs = Integer.getInteger("bench.runs", 3);
    private final List<String> rows = new ArrayList<>();

    @Test
    void wan() throws Exception {
        Path file = Files.createTempFile("wanbench", ".bin");
        byte[] block = new byte[(int) MIB + 13];
        new Random(7).nextBytes(block);
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long w = 0; w < size; w += block.length) {
                out.write(block, 0, (int) Math.min(block.length, size - w));
            }
        }
        Path dl = Files.createTempDirectory("wanbench-dl");
        try (S3Server s3 = new S3Server()) {
            s3.createBucket("wan");
            s3.put("wan", "obj.bin", file);
            Files.delete(file);
            boolean warm = false;
            for (String rtt : rtts.split(",")) {
                rttMs = Integer.parseInt(rtt.trim());
                direct = Double.NaN;
                try (WanLink link = new WanLink("127.0.0.1", s3.endpoint().getPort(), Duration.ofMillis(rttMs), window)) {
                    warm = measure(s3, link, dl, warm);
                }
            }
        } finally {
            try (var s = Files.list(dl)) {
                s.forEach(p -> p.toFile().delete());
            }
            Files.deleteIfExists(dl);
        }
        String table = "| RTT | path | client | MB/s (median) | x direct | runs | S3 requests (last run) |\n"
                + "|---|---|---|---|---|---|---|\n" + String.join("\n", rows) + "\n";
        System.out.println(table);
        Path out = Path.of(System.getProperty("bench.out", "../docs/bench/wan-results.md"));
        Files.writeString(out, "WAN benchmark: " + (size / MIB) + " MiB object, RTT " + rtts + " ms, "
                + (window / 1024) + " KiB window per connection (docs/bench/wan.sh); load average "
                + loadBefore + " before, " + load() + " after\n\n" + table, StandardCharsets.UTF_8);
    }

    /** The rows for one link; returns whether the proxy's code is warm (JIT) from now on. */
    private boolean measure(S3Server s3, WanLink link, Path dl, boolean warm) throws Exception {
        URI wan = URI.create("http://127.0.0.1:" + link.port());
        String presigned;
        try (S3Presigner p = S3Presigner.builder().endpointOverride(wan).region(Region.US_EAST_1)
                .credentialsProvider(s3.credentials())
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build()).build()) {
            presigned = p.presignGetObject(r -> r.signatureDuration(Duration.ofHours(2))
                    .getObjectRequest(g -> g.bucket("wan").key("obj.bin"))).url().toString();
        }
        row("link", "window / RTT, one connection (theory)", 1, null, () -> (double) window / (rttMs / 1000.0) / 1e6);
        row("direct", "curl, one connection (presigned URL)", 1, null, () -> curl(presigned));
        if (has("aria2c")) {
            row("direct", "aria2c -x8 -s8 (presigned URL)", runs, null, () -> aria2c(presigned, 8, dl));
            row("direct", "aria2c -x16 -s16 (presigned URL)", runs, null, () -> aria2c(presigned, 16, dl));
        }
        BitsBridgeServer on = proxy(s3, wan, b -> b);
        try {
            if (!warm) {
                // The JVM compiles the proxy's paths during the first transfers: not measured.
                curl(url(on));
                bitsJob(on.port(), 8 * MIB);
            }
            row("bitsbridge (defaults: 16 x 8 MiB, read-ahead)", "curl", runs, on, () -> curl(url(on)));
            row("bitsbridge (defaults: 16 x 8 MiB, read-ahead)", "BITS-style job: HEAD + 8 MiB ranges, one connection",
                    runs, on, () -> bitsJob(on.port(), 8 * MIB));
        } finally {
            on.stop(Duration.ZERO);
        }
        if (Boolean.getBoolean("bench.variants")) {
            BitsBridgeServer off = proxy(s3, wan, b -> b.parallelConnections(1));
            try {
                row("bitsbridge --parallel-connections 1", "curl", 1, off, () -> curl(url(off)));
                row("bitsbridge --parallel-connections 1", "BITS-style job: HEAD + 8 MiB ranges, one connection", 1,
                        off, () -> bitsJob(off.port(), 8 * MIB));
            } finally {
                off.stop(Duration.ZERO);
            }
            BitsBridgeServer wide = proxy(s3, wan, b -> b.parallelConnections(8).readAheadMemory(64 * MIB));
            try {
                row("bitsbridge --parallel-connections 8 --read-ahead-memory 64M (before 2026-12)", "curl", runs, wide,
                        () -> curl(url(wide)));
                row("bitsbridge --parallel-connections 8 --read-ahead-memory 64M (before 2026-12)",
                        "BITS-style job: HEAD + 8 MiB ranges, one connection", runs, wide, () -> bitsJob(wide.port(), 8 * MIB));
            } finally {
                wide.stop(Duration.ZERO);
            }
        }
        return true;
    }

    private BitsBridgeServer proxy(S3Server s3, URI wan, UnaryOperator<ProxyConfig.Builder> tweak) throws Exception {
        return new BitsBridgeServer(tweak.apply(ProxyConfig.builder().port(0).bucket("wan").endpoint(wan)).build(),
                s3.credentials()).start();
    }

    private static String url(BitsBridgeServer p) {
        return "http://127.0.0.1:" + p.port() + "/obj.bin";
    }

    private void row(String path, String client, int n, BitsBridgeServer proxy, Callable<Double> measure)
            throws Exception {
        if (!(path + " / " + client).contains(System.getProperty("bench.only", ""))) {
            return;
        }
        double[] v = new double[n];
        long requests = -1;
        for (int i = 0; i < n; i++) {
            long before = proxy == null ? 0 : upstreamRequests(proxy);
            v[i] = measure.call();
            if (proxy != null) {
                requests = upstreamRequests(proxy) - before;
            }
            System.out.printf("%d ms: %s / %s: run %d: %.1f MB/s%n", rttMs, path, client, i + 1, v[i]);
        }
        Arrays.sort(v);
        double median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
        if (client.startsWith("curl, one connection")) {
            direct = median;
        }
        StringBuilder all = new StringBuilder();
        for (double x : v) {
            all.append(all.length() == 0 ? "" : ", ").append(String.format("%.1f", x));
        }
        rows.add(String.format("| %d ms | %s | %s | %.1f%s | %s | %d | %s |", rttMs, path, client, median,
                n > 1 ? " (" + all + ")" : "", Double.isNaN(direct) || path.equals("link") ? ""
                        : String.format("%.1fx", median / direct), n, requests < 0 ? "" : Long.toString(requests)));
    }

    /** S3 requests the proxy got an answer to (its upstream latency histogram counts each one). */
    private static long upstreamRequests(BitsBridgeServer p) throws Exception {
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + p.port() + "/_bitsbridge/metrics"))
                        .header("Authorization", "Bearer " + p.adminToken()).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        double sum = 0;
        for (String line : r.body().split("\n")) {
            if (line.startsWith("bitsbridge_upstream_latency_seconds_count{")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return (long) sum;
    }

    private static String load() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "?";
        }
    }

    private static boolean has(String tool) {
        try {
            return new ProcessBuilder(tool, "--version").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** Runs a download tool and returns MB/s for the object, failing if it did not get every byte. */
    private double timed(List<String> cmd, Path check) throws Exception {
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException(cmd.get(0) + " failed: " + output);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        if (check != null) {
            long got = Files.size(check);
            Files.delete(check);
            if (got != size) {
                throw new IllegalStateException("got " + got + " of " + size + " bytes");
            }
        } else if (Long.parseLong(output.trim()) != size) {
            throw new IllegalStateException("got " + output.trim() + " of " + size + " bytes");
        }
        return size / secs / 1e6;
    }

    private double curl(String url) throws Exception {
        return timed(List.of("curl", "-sS", "-o", "/dev/null", "-w", "%{size_download}", url), null);
    }

    private double aria2c(String url, int n, Path dir) throws Exception {
        return timed(List.of("aria2c", "-q", "-x" + n, "-s" + n, "-k1M", "--file-allocation=none",
                "--allow-overwrite=true", "-d", dir.toString(), "-o", "obj.bin", url), dir.resolve("obj.bin"));
    }

    /** A BITS download job: a HEAD, then consecutive ranges on one keep-alive connection. */
    private double bitsJob(int port, long rangeSize) throws Exception {
        long t0 = System.nanoTime();
        long total = 0;
        try (RawHttp c = RawHttp.connect(port)) {
            c.send("HEAD /obj.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: Microsoft BITS/7.8\r\n\r\n");
            long length = c.readResponse(true).contentLength();
            OutputStream sink = OutputStream.nullOutputStream();
            for (long off = 0; off < length; off += rangeSize) {
                long end = Math.min(length, off + rangeSize) - 1;
                c.send("GET /obj.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: Microsoft BITS/7.8\r\nRange: bytes="
                        + off + "-" + end + "\r\n\r\n");
                RawHttp.Response h = c.readHead();
                if (h.status() != 206 || !c.readBody(sink, end - off + 1)) {
                    throw new IllegalStateException("range " + off + " failed: " + h);
                }
                total += end - off + 1;
            }
        }
        if (total != size) {
            throw new IllegalStateException("job got " + total);
        }
        return size / ((System.nanoTime() - t0) / 1e9) / 1e6;
    }
}
