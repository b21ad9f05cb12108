package dev.bitsbridge.proxy.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real forward proxy for tests: Debian's squid, started with a generated configuration on a
 * free 127.0.0.1 port (localhost only, nothing cached, its own access log), stopped by
 * {@link #close()}. {@link #available()} says whether squid is installed; tests skip without it
 * (`.ci/run` installs it).
 *
 * <p>Not thread-safe; one instance per test class.
 */
public final class Squid implements AutoCloseable {

    public static final Path BINARY = Path.of("/usr/sbin/squid");

    private final Path dir;
    private final Process process;
    private final int port;

    /** Whether squid is installed where the tests look for it. */
    public static boolean available() {
        return Files.isExecutable(BINARY);
    }

    /** Starts squid; {@code extraConfig} lines go before the access rules (e.g. auth). */
    public Squid(List<String> extraConfig) throws IOException, InterruptedException {
        dir = Files.createTempDirectory("bitsbridge-squid");
        // squid started as root drops to its own user: the folder must be writable by it.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        port = freePort();
        StringBuilder conf = new StringBuilder()
                .append("http_port 127.0.0.1:").append(port).append('\n')
                .append("pid_filename ").append(dir.resolve("squid.pid")).append('\n')
                .append("access_log stdio:").append(dir.resolve("access.log")).append(" squid\n")
                .append("cache_log ").append(dir.resolve("cache.log")).append('\n')
                .append("cache_store_log none\n")
                .append("coredump_dir ").append(dir).append('\n')
                .append("cache deny all\n")
                .append("cache_mem 8 MB\n")
                .append("shutdown_lifetime 0 seconds\n")
                .append("via off\n")
                .append("forwarded_for delete\n")
                .append("buffered_logs off\n");
        for (String l : extraConfig) {
            conf.append(l).append('\n');
        }
        conf.append("http_access allow localhost\n").append("http_access deny all\n");
        Path file = dir.resolve("squid.conf");
        Files.writeString(file, conf);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        process = new ProcessBuilder(BINARY.toString(), "-N", "-f", file.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!accepts(port)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                String out = Files.exists(dir.resolve("stdout.log")) ? Files.readString(dir.resolve("stdout.log")) : "";
                close();
                throw new IOException("squid did not start: " + out);
            }
            Thread.sleep(50);
        }
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
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    public int port() {
        return port;
    }

    /** {@code http://127.0.0.1:<port>}. */
    public String url() {
        return "http://127.0.0.1:" + port;
    }

    /** The access log so far (squid writes each line when its request ends). */
    public String accessLog() throws IOException {
        Path log = dir.resolve("access.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    /** The access log once it has at least {@code lines} lines (or after {@code within}). */
    public String accessLog(int lines, Duration within) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        String log = accessLog();
        while (log.lines().count() < lines && System.nanoTime() < deadline) {
            Thread.sleep(20);
            log = accessLog();
        }
        return log;
    }

    @Override
    public void close() throws IOException {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
