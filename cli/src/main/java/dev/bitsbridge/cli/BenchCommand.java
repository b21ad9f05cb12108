package dev.bitsbridge.cli;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code bitsbridge bench URL}: a load client that behaves like many BITS jobs, so operators can
 * measure their own proxy-to-S3 path. Each connection sends a HEAD, then GETs of one range each at
 * random offsets with {@code If-Unmodified-Since} (BITS's resume check), on keep-alive; every answer
 * must be a 206 of the right length. Progress once a second; throughput and latency percentiles at
 * the end.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = ManifestVersionProvider.class,
        description = "Load a URL the way many BITS jobs would (HEAD, then ranges on keep-alive connections) "
                + "and print throughput and latency percentiles.",
        footerHeading = "%nExample:%n",
        footer = "  bitsbridge bench http://127.0.0.1:8080/installers/setup.exe --connections 32 --range-size 1M --duration 30s")
public final class BenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "URL", description = "An http:// URL of an object (through bitsbridge, or any server).")
    String url;

    @Option(names = "--connections", paramLabel = "N", defaultValue = "16",
            description = "Concurrent connections, one simulated job each (default: ${DEFAULT-VALUE}).")
    int connections;

    @Option(names = "--range-size", paramLabel = "SIZE", defaultValue = "1M", converter = SizeConverter.class,
            description = "Bytes per range request (default: ${DEFAULT-VALUE}).")
    long rangeSize;

    @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "10s", converter = DurationConverter.class,
            description = "How long to run (default: ${DEFAULT-VALUE}).")
    Duration duration;

    private final LongAdder requests = new LongAdder();
    private final LongAdder bytes = new LongAdder();
    private final Map<String, LongAdder> errors = new java.util.concurrent.ConcurrentHashMap<>();

    @Override
    public Integer call() throws Exception {
        URI u = target(url);
        if (connections < 1 || rangeSize < 1 || duration.isNegative() || duration.isZero()) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--connections, --range-size and --duration must be positive");
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println("bench " + u + ": asking for its size...");
        out.flush();
        String host = u.getHost();
        int port = u.getPort() > 0 ? u.getPort() : 80;
        String path = (u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath())
                + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
        Job probe = new Job(host, port, path);
        long[] meta;
        try {
            meta = probe.head();
        } finally {
            probe.close();
        }
        long size = meta[0];
        if (size < 1) {
            out.println("bitsbridge bench: the object is empty; nothing to measure");
            return 1;
        }
        out.printf("bench %s: %d bytes, %d connections, %s ranges, %s%n", u, size, connections,
                human(Math.min(rangeSize, size)), dev.bitsbridge.proxy.config.Durations.format(duration));
        long end = System.nanoTime() + duration.toNanos();
        List<Thread> threads = new ArrayList<>();
        List<long[]> latencies = new ArrayList<>();
        AtomicLong started = new AtomicLong(System.nanoTime());
        for (int i = 0; i < connections; i++) {
            long[] lat = new long[1 << 20];
            latencies.add(lat);
            int idx = i;
            Thread t = new Thread(() -> run(host, port, path, size, end, latencies.get(idx)), "bench-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        long t0 = started.get();
        // On a terminal the progress is one line rewritten in place; piped to a file or a CI log,
        // a line per second (carriage returns would make those unreadable).
        boolean terminal = System.console() != null;
        while (System.nanoTime() < end) {
            Thread.sleep(Math.min(1000, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
            double s = (System.nanoTime() - t0) / 1e9;
            String line = String.format(Locale.ROOT, "  %5.1fs of %ds  %8d requests  %8.0f req/s  %8.1f MB/s  errors %d",
                    s, duration.toSeconds(), requests.sum(), requests.sum() / s, bytes.sum() / s / 1e6, errorCount());
            out.print(terminal ? "\r" + line : line + System.lineSeparator());
            out.flush();
        }
        if (terminal) {
            out.println();
        }
        for (Thread t : threads) {
            t.join(30_000);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        long[] all = merge(latencies);
        out.printf("%nrequests %d in %.1f s: %.0f req/s, %.1f MB/s%n", requests.sum(), secs, requests.sum() / secs,
                bytes.sum() / secs / 1e6);
        if (all.length > 0) {
            out.printf("latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms%n", pct(all, 50), pct(all, 90),
                    pct(all, 99), all[all.length - 1] / 1e6);
        }
        out.printf("errors %d%s%n", errorCount(), errors.isEmpty() ? "" : " " + errorsText());
        return errorCount() == 0 ? 0 : 1;
    }

    /** The URL to measure; {@code host:port/path} without a scheme is taken as http. */
    private URI target(String text) {
        String t = text.contains("://") ? text : "http://" + text;
        URI u;
        try {
            u = URI.create(t);
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "'" + text + "' is not a URL (example: http://127.0.0.1:8080/installers/setup.exe)");
        }
        if (!"http".equalsIgnoreCase(u.getScheme()) || u.getHost() == null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "URL must be http://host[:port]/path (bench speaks plain HTTP to the proxy), not " + text);
        }
        return u;
    }

    private long errorCount() {
        return errors.values().stream().mapToLong(LongAdder::sum).sum();
    }

    private String errorsText() {
        Map<String, Long> m = new LinkedHashMap<>();
        errors.forEach((k, v) -> m.put(k, v.sum()));
        return m.toString();
    }

    private void error(String kind) {
        errors.computeIfAbsent(kind, k -> new LongAdder()).increment();
    }

    private void run(String host, int port, String path, long size, long end, long[] lat) {
        int n = 0;
        Job job = null;
        String lastModified = null;
        while (System.nanoTime() < end) {
            try {
                if (job == null) {
                    job = new Job(host, port, path);
                    long[] m = job.head();
                    lastModified = job.lastModified;
                    if (m[0] != size) {
                        error("size changed");
                    }
                }
                long len = Math.min(rangeSize, size);
                long first = size == len ? 0 : ThreadLocalRandom.current().nextLong(size - len + 1);
                long t = System.nanoTime();
                int status = job.range(first, first + len - 1, lastModified);
                long took = System.nanoTime() - t;
                if (status != 206) {
                    error("status " + status);
                } else {
                    requests.increment();
                    bytes.add(len);
                    if (n < lat.length) {
                        lat[n++] = took;
                    }
                }
            } catch (IOException e) {
                error(e.getClass().getSimpleName());
                if (job != null) {
                    job.close();
                    job = null;
                }
            }
        }
        if (job != null) {
            job.close();
        }
        lat[lat.length - 1] = n; // count of samples, read back by merge()
    }

    private static long[] merge(List<long[]> lists) {
        int total = 0;
        for (long[] l : lists) {
            total += (int) l[l.length - 1];
        }
        long[] all = new long[total];
        int pos = 0;
        for (long[] l : lists) {
            int n = (int) l[l.length - 1];
            System.arraycopy(l, 0, all, pos, n);
            pos += n;
        }
        Arrays.sort(all);
        return all;
    }

    private static double pct(long[] sorted, double p) {
        int i = (int) Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1));
        return sorted[i] / 1e6;
    }

    static String human(long b) {
        if (b >= 1 << 20 && b % (1 << 20) == 0) {
            return (b >> 20) + " MiB";
        }
        if (b >= 1 << 10 && b % (1 << 10) == 0) {
            return (b >> 10) + " KiB";
        }
        return b + " B";
    }

    /** One keep-alive connection speaking just enough HTTP/1.1 for HEAD and ranged GETs. */
    private static final class Job implements AutoCloseable {
        private final Socket socket = new Socket();
        private final String host;
        private final String path;
        private final InputStream in;
        private final OutputStream out;
        private final byte[] buf = new byte[256 * 1024];
        String lastModified;

        Job(String host, int port, String path) throws IOException {
            this.host = host + ":" + port;
            this.path = path;
            socket.connect(new InetSocketAddress(host, port), 5000);
            socket.setSoTimeout(60_000);
            socket.setTcpNoDelay(true);
            in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
            out = socket.getOutputStream();
        }

        long[] head() throws IOException {
            send("HEAD", null, null);
            Map<String, String> h = readHead();
            if (!h.get(":status").equals("200")) {
                throw new IOException("HEAD answered " + h.get(":status"));
            }
            lastModified = h.get("last-modified");
            return new long[] {Long.parseLong(h.getOrDefault("content-length", "-1"))};
        }

        int range(long first, long last, String ifUnmodifiedSince) throws IOException {
            send("GET", "bytes=" + first + "-" + last, ifUnmodifiedSince);
            Map<String, String> h = readHead();
            long length = Long.parseLong(h.getOrDefault("content-length", "0"));
            long left = length;
            while (left > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) {
                    throw new IOException("short body");
                }
                left -= n;
            }
            int status = Integer.parseInt(h.get(":status"));
            if (status == 206 && length != last - first + 1) {
                throw new IOException("wrong length");
            }
            if ("close".equalsIgnoreCase(h.get("connection"))) {
                throw new IOException("server closed the connection");
            }
            return status;
        }

        private void send(String method, String range, String ius) throws IOException {
            StringBuilder sb = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: ")
                    .append(host).append("\r\nUser-Agent: Microsoft BITS/7.8 (bitsbridge bench)\r\n")
                    .append("Accept: */*\r\nAccept-Encoding: identity\r\nConnection: Keep-Alive\r\n");
            if (range != null) {
                sb.append("Range: ").append(range).append("\r\n");
            }
            if (ius != null) {
                sb.append("If-Unmodified-Since: ").append(ius).append("\r\n");
            }
            out.write(sb.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }

        private Map<String, String> readHead() throws IOException {
            Map<String, String> h = new LinkedHashMap<>();
            String status = line();
            if (status == null) {
                throw new IOException("connection closed");
            }
            h.put(":status", status.split(" ")[1]);
            for (String l; (l = line()) != null && !l.isEmpty(); ) {
                int c = l.indexOf(':');
                h.put(l.substring(0, c).trim().toLowerCase(Locale.ROOT), l.substring(c + 1).trim());
            }
            return h;
        }

        private String line() throws IOException {
            StringBuilder sb = new StringBuilder();
            for (int b; (b = in.read()) >= 0; ) {
                if (b == '\n') {
                    int n = sb.length();
                    return n > 0 && sb.charAt(n - 1) == '\r' ? sb.substring(0, n - 1) : sb.toString();
                }
                sb.append((char) b);
            }
            return sb.length() == 0 ? null : sb.toString();
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }
}
