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
    private final int rttMs = Integer.getInteger("bench.rttMs", 40);
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
        try (S3Server s3 = new S3Server();
                WanLink link = new WanLink("127.0.0.1", s3.endpoint().getPort(), Duration.ofMillis(rttMs), window)) {
            s3.createBucket("wan");
            s3.put("wan", "obj.bin", file);
            Files.delete(file);
            URI wan = URI.create("http://127.0.0.1:" + link.port());
            String presigned;
            try (S3Presigner p = S3Presigner.builder().endpointOverride(wan).region(Region.US_EAST_1)
                    .credentialsProvider(s3.credentials())
                    .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build()).build()) {
                presigned = p.presignGetObject(r -> r.signatureDuration(Duration.ofHours(2))
                        .getObjectRequest(g -> g.bucket("wan").key("obj.bin"))).url().toString();
            }
            row("link", "window / RTT, one connection (theory)", 1, () -> (double) window / (rttMs / 1000.0) / 1e6);
            row("direct", "curl, one connection (presigned URL)", 1, () -> curl(presigned));
            if (has("aria2c")) {
                row("direct", "aria2c -x8 -s8 (presigned URL)", runs, () -> aria2c(presigned, 8, dl));
                row("direct", "aria2c -x16 -s16 (presigned URL)", runs, () -> aria2c(presigned, 16, dl));
            }
            BitsBridgeServer off = proxy(s3, wan, b -> b.parallelConnections(1));
            try {
                row("bitsbridge --parallel-connections 1", "curl", 1, () -> curl(url(off)));
            } finally {
                off.stop(Duration.ZERO);
            }
            BitsBridgeServer on = proxy(s3, wan, b -> b);
            try {
                row("bitsbridge (defaults: 8 x 8 MiB)", "curl", runs, () -> curl(url(on)));
                row("bitsbridge (defaults: 8 x 8 MiB)", "BITS-style job: HEAD + 8 MiB ranges, one connection", 1,
                        () -> bitsJob(on.port(), 8 * MIB));
            } finally {
                on.stop(Duration.ZERO);
            }
            BitsBridgeServer wide = proxy(s3, wan, b -> b.parallelConnections(16));
            try {
                row("bitsbridge --parallel-connections 16", "curl", runs, () -> curl(url(wide)));
            } finally {
                wide.stop(Duration.ZERO);
            }
            BitsBridgeServer small = proxy(s3, wan, b -> b.partSize(2 * MIB));
            try {
                row("bitsbridge --part-size 2M", "curl", runs, () -> curl(url(small)));
                row("bitsbridge --part-size 2M", "BITS-style job: HEAD + 8 MiB ranges, one connection", runs,
                        () -> bitsJob(small.port(), 8 * MIB));
            } finally {
                small.stop(Duration.ZERO);
            }
        } finally {
            try (var s = Files.list(dl)) {
                s.forEach(p -> p.toFile().delete());
            }
            Files.deleteIfExists(dl);
        }
        String table = "| path | client | MB/s (median) | runs |\n|---|---|---|---|\n" + String.join("\n", rows) + "\n";
        System.out.println(table);
        Path out = Path.of(System.getProperty("bench.out", "../docs/bench/wan-results.md"));
        Files.writeString(out, "WAN benchmark: " + (size / MIB) + " MiB object, " + rttMs + " ms RTT, "
                + (window / 1024) + " KiB window per connection (docs/bench/wan.sh)\n\n" + table, StandardCharsets.UTF_8);
    }

    private BitsBridgeServer proxy(S3Server s3, URI wan, UnaryOperator<ProxyConfig.Builder> tweak) throws Exception {
        return new BitsBridgeServer(tweak.apply(ProxyConfig.builder().port(0).bucket("wan").endpoint(wan)).build(),
                s3.credentials()).start();
    }

    private static String url(BitsBridgeServer p) {
        return "http://127.0.0.1:" + p.port() + "/obj.bin";
    }

    private void row(String path, String client, int n, Callable<Double> measure) throws Exception {
        if (!(path + " / " + client).contains(System.getProperty("bench.only", ""))) {
            return;
        }
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = measure.call();
            System.out.printf("%s / %s: run %d: %.1f MB/s%n", path, client, i + 1, v[i]);
        }
        Arrays.sort(v);
        rows.add(String.format("| %s | %s | %.1f | %d |", path, client, v[n / 2], n));
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
