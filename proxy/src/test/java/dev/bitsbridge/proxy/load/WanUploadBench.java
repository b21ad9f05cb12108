package dev.bitsbridge.proxy.load;

import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.S3Server;
import dev.bitsbridge.proxy.testing.WanLink;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * The WAN upload benchmark of docs/performance.md ("Uploads over a WAN"), not part of the test
 * suite (it runs only with {@code -Dbitsbridge.bench=wan-upload}, see docs/bench/wan-upload.sh).
 * s3proxy sits behind a {@link WanLink} (default 40 ms RTT, 512 KiB window per connection); the
 * same file goes up with {@code aws s3 cp} (parallel multipart, its defaults: 8 MiB parts, 10 at
 * a time) and as a BITS upload (Create-Session, 8 MiB fragments in order on one connection,
 * Close-Session) through a {@code bitsbridge} process whose upstream is the same link. Every
 * object is checked byte-exact (SHA-256 of what s3proxy stores). The last run kills the bitsbridge
 * process with SIGKILL mid-upload, starts a new one on the same state folder, and lets the client
 * resume (it must find every acknowledged byte held). Prints a table and writes it to
 * docs/bench/wan-upload-results.md.
 */
@EnabledIfSystemProperty(named = "bitsbridge.bench", matches = "wan-upload")
class WanUploadBench {

    private static final long MIB = 1024 * 1024;
    private static final String PROTOCOL = "{7df0354d-249b-430f-820d-3d2a9bef4931}";
    private final long size = Long.getLong("bench.sizeMib", 1024) * MIB;
    private final int rttMs = Integer.getInteger("bench.rttMs", 40);
    private final int window = Integer.getInteger("bench.windowKib", 512) * 1024;
    private final int runs = Integer.getInteger("bench.runs", 1);
    private final int fragment = Integer.getInteger("bench.fragmentMib", 8) * (int) MIB;
    private final List<Integer> parallelisms = Arrays.stream(System.getProperty("bench.parallelism", "4,8")
            .split(",")).map(String::trim).map(Integer::valueOf).toList();
    private final List<String> rows = new ArrayList<>();

    @Test
    void wanUpload() throws Exception {
        Path work = Files.createTempDirectory("wanup");
        Path file = work.resolve("upload.bin");
        byte[] block = new byte[(int) MIB + 13];
        new Random(7).nextBytes(block);
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long w = 0; w < size; w += block.length) {
                int n = (int) Math.min(block.length, size - w);
                out.write(block, 0, n);
                sha.update(block, 0, n);
            }
        }
        String expected = HexFormat.of().formatHex(sha.digest());
        try (S3Server s3 = new S3Server();
                WanLink link = new WanLink("127.0.0.1", s3.endpoint().getPort(), Duration.ofMillis(rttMs), window)) {
            s3.createBucket("wanup");
            URI wan = URI.create("http://127.0.0.1:" + link.port());
            row("link", "window / RTT, one connection (theory)", 1, () -> (double) window / (rttMs / 1000.0) / 1e6);
            for (int i = 0; i < runs; i++) {
                String key = "aws-" + i + ".bin";
                double mbs = timed(() -> awsCp(s3, wan, file, key, work));
                check(s3, key, expected);
                record("aws s3 cp (8 MiB parts, 10 at a time)", mbs);
            }
            for (int p : parallelisms) {
                for (int i = 0; i < runs; i++) {
                    String key = "bits-" + p + "-" + i + ".bin";
                    Path state = Files.createTempDirectory(work, "state");
                    Proxy proxy = Proxy.start(s3, wan, state, p);
                    double mbs;
                    try {
                        mbs = timed(() -> {
                            bitsUpload(proxy.port, "/" + key, file, -1, null);
                            return null;
                        });
                    } finally {
                        proxy.kill();
                    }
                    check(s3, key, expected);
                    record("bitsbridge --upload-parallelism " + p + " (BITS: 8 MiB fragments, one connection)", mbs);
                }
            }
            // Resumable after SIGKILL: killed at 40 %, restarted on the same state, resumed by the client.
            int p = parallelisms.get(parallelisms.size() - 1);
            Path state = Files.createTempDirectory(work, "state");
            String key = "bits-killed.bin";
            long[] resumedAt = new long[2];
            double mbs = timed(() -> {
                Proxy first = Proxy.start(s3, wan, state, p);
                resumedAt[0] = bitsUpload(first.port, "/" + key, file, size * 4 / 10, first);
                Proxy second = Proxy.start(s3, wan, state, p);
                try {
                    resumedAt[1] = bitsResume(second.port, "/" + key, file, resumedAt[0]);
                } finally {
                    second.kill();
                }
                return null;
            });
            check(s3, key, expected);
            record("bitsbridge --upload-parallelism " + p + ", SIGKILL at 40 % (acknowledged " + resumedAt[0]
                    + ", resumed at " + resumedAt[1] + "), restart included", mbs);
        } finally {
            try (var s = Files.walk(work)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
            }
        }
        String table = "| client | MB/s (median) | runs |\n|---|---|---|\n" + String.join("\n", rows) + "\n";
        System.out.println(table);
        Path out = Path.of(System.getProperty("bench.out", "../docs/bench/wan-upload-results.md"));
        Files.writeString(out, "WAN upload benchmark: " + (size / MIB) + " MiB file, " + rttMs + " ms RTT, "
                + (window / 1024) + " KiB window per connection, s3proxy behind the link (docs/bench/wan-upload.sh)"
                + "\n\n" + table, StandardCharsets.UTF_8);
    }

    private interface Run {
        Object call() throws Exception;
    }

    private double timed(Run run) throws Exception {
        long t0 = System.nanoTime();
        run.call();
        return size / ((System.nanoTime() - t0) / 1e9) / 1e6;
    }

    private final Map<String, List<Double>> results = new LinkedHashMap<>();

    private void record(String client, double mbs) {
        System.out.printf("%s: %.1f MB/s%n", client, mbs);
        results.computeIfAbsent(client, k -> new ArrayList<>()).add(mbs);
        List<Double> v = new ArrayList<>(results.get(client));
        v.sort(Double::compare);
        rows.removeIf(r -> r.startsWith("| " + client + " |"));
        rows.add(String.format(Locale.ROOT, "| %s | %.1f | %d |", client, v.get(v.size() / 2), v.size()));
    }

    private void row(String path, String client, int n, java.util.concurrent.Callable<Double> measure)
            throws Exception {
        record(path + ": " + client, measure.call());
    }

    /** SHA-256 of what s3proxy stores (read directly, not through the link). */
    private void check(S3Server s3, String key, String expected) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (InputStream in = s3.client().getObject(r -> r.bucket("wanup").key(key))) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        String got = HexFormat.of().formatHex(md.digest());
        if (!got.equals(expected)) {
            throw new IllegalStateException(key + " is not byte-exact: SHA-256 " + got + ", the file's " + expected);
        }
        System.out.println(key + ": byte-exact (SHA-256 " + got + ")");
    }

    private Object awsCp(S3Server s3, URI wan, Path file, String key, Path work) throws Exception {
        Path config = work.resolve("aws-config");
        Files.writeString(config, "[default]\nregion = us-east-1\ns3 =\n  addressing_style = path\n");
        ProcessBuilder pb = new ProcessBuilder("aws", "--endpoint-url", wan.toString(), "s3", "cp", file.toString(),
                "s3://wanup/" + key, "--only-show-errors").redirectErrorStream(true);
        pb.environment().put("AWS_ACCESS_KEY_ID", S3Server.ACCESS_KEY);
        pb.environment().put("AWS_SECRET_ACCESS_KEY", s3.secretKey());
        pb.environment().put("AWS_CONFIG_FILE", config.toString());
        pb.environment().put("AWS_SHARED_CREDENTIALS_FILE", work.resolve("none").toString());
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("aws s3 cp failed: " + output);
        }
        return null;
    }

    /**
     * A BITS upload from the file: Create-Session, fragments in order, Close-Session. With
     * {@code killAt >= 0}, {@code proxy} is killed (SIGKILL) once that many bytes are acknowledged;
     * returns the bytes acknowledged then (or the size).
     */
    private long bitsUpload(int port, String path, Path file, long killAt, Proxy proxy) throws Exception {
        try (BitsClient c = new BitsClient(port); FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            Map<String, String> created = c.send(path, "Create-Session", null, null, 0, 0);
            sessions.put(path, created.get("bits-session-id"));
            long off = 0;
            while (off < size) {
                if (killAt >= 0 && off >= killAt) {
                    proxy.kill();
                    return off;
                }
                off = fragment(c, path, in, off);
            }
            c.send(path, "Close-Session", sessions.get(path), null, 0, 0);
            return off;
        }
    }

    /** After a restart: resends the last fragment the client sent, then goes on from the offset it is told. */
    private long bitsResume(int port, String path, Path file, long acknowledged) throws Exception {
        try (BitsClient c = new BitsClient(port); FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            long from = Math.max(0, acknowledged - fragment);
            long held = c.fragmentAt(path, sessions.get(path), in, from, Math.min(fragment, size - from), size);
            if (held < acknowledged) {
                throw new IllegalStateException("resumed at " + held + ", but " + acknowledged + " were acknowledged");
            }
            long off = held;
            while (off < size) {
                off = fragment(c, path, in, off);
            }
            c.send(path, "Close-Session", sessions.get(path), null, 0, 0);
            return held;
        }
    }

    private final Map<String, String> sessions = new LinkedHashMap<>();

    private long fragment(BitsClient c, String path, FileChannel in, long off) throws IOException {
        return c.fragmentAt(path, sessions.get(path), in, off, Math.min(fragment, size - off), size);
    }

    /** A {@code bitsbridge} server in a process of its own (so SIGKILL is real), on the WAN link. */
    private record Proxy(Process process, int port) {
        static Proxy start(S3Server s3, URI wan, Path state, int parallelism) throws Exception {
            List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), ServerMain.class.getName(), wan.toString(),
                    state.toString(), Integer.toString(parallelism), S3Server.ACCESS_KEY, s3.secretKey());
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            BufferedReader lines = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            for (String line; (line = lines.readLine()) != null; ) {
                if (line.startsWith("PORT ")) {
                    Thread drain = new Thread(() -> {
                        try {
                            lines.transferTo(java.io.Writer.nullWriter());
                        } catch (IOException e) {
                            // the process ended
                        }
                    });
                    drain.setDaemon(true);
                    drain.start();
                    return new Proxy(p, Integer.parseInt(line.substring(5).trim()));
                }
            }
            throw new IllegalStateException("bitsbridge did not start");
        }

        void kill() throws InterruptedException {
            process.destroyForcibly(); // SIGKILL
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** The child process: bitsbridge with uploads on, upstream through the link. */
    public static final class ServerMain {
        public static void main(String[] args) throws Exception {
            BitsBridgeServer server = new BitsBridgeServer(ProxyConfig.builder().port(0).bucket("wanup")
                    .endpoint(URI.create(args[0])).stateDir(Path.of(args[1])).allowUpload(true)
                    .uploadParallelism(Integer.parseInt(args[2])).build(),
                    StaticCredentialsProvider.create(AwsBasicCredentials.create(args[3], args[4]))).start();
            System.out.println("PORT " + server.port());
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    /** BITS_POST packets on one keep-alive connection, fragment bodies streamed from the file. */
    private static final class BitsClient implements AutoCloseable {
        private final int port;
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;
        private final ByteBuffer buf = ByteBuffer.allocate(1 << 20);

        BitsClient(int port) throws IOException {
            this.port = port;
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(600_000);
            in = new BufferedInputStream(socket.getInputStream());
            out = socket.getOutputStream();
        }

        long fragmentAt(String path, String session, FileChannel file, long off, long length, long total)
                throws IOException {
            Map<String, String> a = send(path, "Fragment", session, "bytes " + off + "-" + (off + length - 1) + "/"
                    + total, off, length, file);
            return Long.parseLong(a.get("bits-received-content-range"));
        }

        Map<String, String> send(String path, String type, String session, String range, long off, long length)
                throws IOException {
            return send(path, type, session, range, off, length, null);
        }

        private Map<String, String> send(String path, String type, String session, String range, long off,
                long length, FileChannel file) throws IOException {
            StringBuilder h = new StringBuilder("BITS_POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
                    + "\r\nUser-Agent: Microsoft BITS/7.8\r\nBITS-Packet-Type: " + type + "\r\n");
            if (session != null) {
                h.append("BITS-Session-Id: ").append(session).append("\r\n");
            }
            if (type.equals("Create-Session")) {
                h.append("BITS-Supported-Protocols: ").append(PROTOCOL).append("\r\n");
            }
            if (range != null) {
                h.append("Content-Name: upload.bin\r\nContent-Range: ").append(range).append("\r\n");
            }
            h.append("Content-Length: ").append(length).append("\r\n\r\n");
            out.write(h.toString().getBytes(StandardCharsets.US_ASCII));
            for (long pos = off; file != null && pos < off + length; ) {
                buf.clear().limit((int) Math.min(buf.capacity(), off + length - pos));
                int n = file.read(buf, pos);
                out.write(buf.array(), 0, n);
                pos += n;
            }
            out.flush();
            String status = line();
            Map<String, String> headers = new LinkedHashMap<>();
            for (String l; !(l = line()).isEmpty(); ) {
                int colon = l.indexOf(':');
                headers.put(l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim());
            }
            in.readNBytes(Integer.parseInt(headers.getOrDefault("content-length", "0")));
            if (!status.contains(" 200 ")) {
                throw new IOException(type + " answered " + status + " " + headers);
            }
            return headers;
        }

        private String line() throws IOException {
            StringBuilder sb = new StringBuilder();
            for (int b; (b = in.read()) >= 0 && b != '\n'; ) {
                if (b != '\r') {
                    sb.append((char) b);
                }
            }
            return sb.toString();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
