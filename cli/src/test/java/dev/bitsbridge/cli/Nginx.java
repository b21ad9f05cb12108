package dev.bitsbridge.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real nginx load balancer for the cluster tests, running the sample configuration users are
 * given ({@code docs/scale-out/nginx.conf}) with only its upstream {@code server} lines and its
 * {@code listen} line replaced by this test's addresses, so the documented configuration is the
 * tested one. Around it, only what a test needs: a private folder (pid, logs, temp paths), one
 * worker, an access log naming the instance of every request ({@code $upstream_addr}: several,
 * comma-separated, when nginx tried more than one) and the same name in an
 * {@value #UPSTREAM_HEADER} response header, so a test can tell which instance serves the
 * response it is reading.
 *
 * <p>nginx cannot listen on port 0 and say which port it got: a free port is picked, and another
 * one if nginx finds it taken in the meantime. Not thread-safe; one per cluster.
 */
final class Nginx implements AutoCloseable {

    static final Path BINARY = Path.of("/usr/sbin/nginx");
    static final Path SAMPLE = Path.of("..", "docs", "scale-out", "nginx.conf");
    static final String UPSTREAM_HEADER = "X-Test-Upstream";

    private static final Pattern SERVER_LINE = Pattern.compile("(?m)^(\\s*)server 10\\.0\\.0\\.\\d+:8080( [^;]*)?;\\n");
    private static final Pattern LISTEN_LINE = Pattern.compile("(?m)^(\\s*)listen 8080;");

    private final Path dir;
    private final Path conf;
    private Process process;
    private int port;

    /** One request as nginx logged it. */
    record Logged(String method, String uri, int status, List<String> upstreams, long bytesSent) {
        /** The instance that gave the answer (the last one nginx tried). */
        String upstream() {
            return upstreams.isEmpty() ? "-" : upstreams.get(upstreams.size() - 1);
        }
    }

    /** Starts nginx balancing over {@code 127.0.0.1:<port>} for each of {@code instancePorts}. */
    Nginx(List<Integer> instancePorts) throws IOException, InterruptedException {
        if (!Files.isExecutable(BINARY)) {
            // Not a skip: the cluster tests are the only proof scale-out works (.ci/run installs it).
            throw new IllegalStateException("the cluster tests need nginx at " + BINARY
                    + " (apt-get install nginx; .ci/run installs it)");
        }
        dir = Files.createTempDirectory("bitsbridge-nginx");
        // nginx started as root runs its worker as nobody: the temp paths must be writable by it.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.setPosixFilePermissions(Files.createDirectory(dir.resolve("tmp")), PosixFilePermissions.fromString("rwxrwxrwx"));
        conf = dir.resolve("nginx.conf");
        IOException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            port = freePort();
            Files.writeString(conf, config(Files.readString(SAMPLE), port, instancePorts));
            try {
                start();
                return;
            } catch (IOException e) {
                last = e;
                if (!e.getMessage().contains("Address already in use")) {
                    break;
                }
            }
        }
        close();
        throw last;
    }

    /** The sample configuration with this test's ports, inside the few lines a test run needs. */
    String config(String sample, int listen, List<Integer> instancePorts) {
        Matcher servers = SERVER_LINE.matcher(sample);
        if (!servers.find()) {
            throw new IllegalStateException(SAMPLE + " has no 'server 10.0.0.N:8080 ...;' line to replace");
        }
        String indent = servers.group(1);
        String params = servers.group(2) == null ? "" : servers.group(2);
        String ours = instancePorts.stream().map(p -> indent + "server 127.0.0.1:" + p + params + ";\n")
                .collect(Collectors.joining());
        String balanced = servers.replaceFirst(Matcher.quoteReplacement(ours));
        balanced = SERVER_LINE.matcher(balanced).replaceAll("");
        Matcher listenLine = LISTEN_LINE.matcher(balanced);
        if (!listenLine.find()) {
            throw new IllegalStateException(SAMPLE + " has no 'listen 8080;' line to replace");
        }
        balanced = listenLine.replaceFirst("$1listen 127.0.0.1:" + listen + ";");
        String tmp = dir.resolve("tmp").toString();
        return "worker_processes 1;\n"
                + "pid " + dir.resolve("nginx.pid") + ";\n"
                + "error_log " + dir.resolve("error.log") + " warn;\n"
                + "events { worker_connections 1024; }\n"
                + "http {\n"
                + "  client_body_temp_path " + tmp + "/body;\n"
                + "  proxy_temp_path " + tmp + "/proxy;\n"
                + "  fastcgi_temp_path " + tmp + "/fastcgi;\n"
                + "  uwsgi_temp_path " + tmp + "/uwsgi;\n"
                + "  scgi_temp_path " + tmp + "/scgi;\n"
                + "  log_format cluster '$request_method $uri $status $upstream_addr $body_bytes_sent';\n"
                + "  access_log " + dir.resolve("access.log") + " cluster;\n"
                // Inherited by the sample's server and location (they have no add_header of their own).
                + "  add_header " + UPSTREAM_HEADER + " $upstream_addr always;\n"
                + balanced + "\n}\n";
    }

    private void start() throws IOException, InterruptedException {
        Files.deleteIfExists(dir.resolve("error.log"));
        process = new ProcessBuilder(BINARY.toString(), "-p", dir.toString(), "-c", conf.toString(), "-g", "daemon off;")
                .redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!accepts(port)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                throw new IOException("nginx did not start: " + read("stdout.log") + read("error.log"));
            }
            Thread.sleep(20);
        }
    }

    int port() {
        return port;
    }

    /** Every request logged so far, in the order they ended. */
    List<Logged> log() throws IOException {
        List<Logged> out = new ArrayList<>();
        for (String line : read("access.log").split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            // $upstream_addr: "a:1, b:2" when nginx tried several; "-" when none.
            String[] f = line.split(" ");
            List<String> upstreams = new ArrayList<>();
            int i = 3;
            for (; i < f.length - 1; i++) {
                String u = f[i].endsWith(",") ? f[i].substring(0, f[i].length() - 1) : f[i];
                if (!u.equals("-")) {
                    upstreams.add(u);
                }
            }
            out.add(new Logged(f[0], f[1], Integer.parseInt(f[2]), upstreams, Long.parseLong(f[f.length - 1])));
        }
        return out;
    }

    /** The log once it has at least {@code lines} requests (nginx writes a line as a request ends). */
    List<Logged> log(int lines) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        List<Logged> log = log();
        while (log.size() < lines && System.nanoTime() < deadline) {
            Thread.sleep(20);
            log = log();
        }
        return log;
    }

    String errorLog() throws IOException {
        return read("error.log");
    }

    private String read(String name) throws IOException {
        Path f = dir.resolve(name);
        return Files.exists(f) ? Files.readString(f) : "";
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws IOException {
        if (process != null) {
            process.destroy(); // SIGTERM: nginx's fast shutdown
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
