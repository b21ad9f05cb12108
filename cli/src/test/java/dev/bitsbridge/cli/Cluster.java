package dev.bitsbridge.cli;

import dev.bitsbridge.proxy.config.SharedStateConfig;
import dev.bitsbridge.proxy.testing.S3Server;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * Scale-out as an operator runs it (docs/scale-out.md): {@code size} real {@code bitsbridge serve}
 * processes on 127.0.0.1, each with its own {@code --state-dir}, all with one
 * {@code --state-bucket} and {@code --state-prefix}, against one in-process S3 (s3proxy,
 * signatures checked), behind a real nginx round-robin balancer running the documented
 * configuration ({@link Nginx}). Objects are served from {@value #BUCKET}, and the state lives in
 * the same bucket under the default prefix, which configuration.md allows and which must then
 * not be reachable through the proxy.
 *
 * <p>Meant to be shared by a test class's methods (start-up is most of the cost); a test that
 * kills an instance runs last in its class. The instances run in small JVMs
 * ({@link #JVM}) so three fit next to the test on a 2-core machine. Not thread-safe: one test
 * thread drives it (its processes of course serve concurrently).
 */
final class Cluster implements AutoCloseable {

    static final String BUCKET = "files";
    /** The served bucket: the set-up most exposed to a client reaching the state through the proxy. */
    static final String STATE_BUCKET = BUCKET;
    static final String STATE_PREFIX = SharedStateConfig.DEFAULT_PREFIX;
    /**
     * Small heap; C1 only, which starts a serve process in about half the time and is fast enough
     * for test-sized transfers; the serial collector, one GC thread fewer per process.
     */
    static final List<String> JVM = List.of("-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
            "-XX:MaxDirectMemorySize=256m");

    private final S3Server s3;
    private final Path root;
    private final List<String> extraArgs;
    private final ServeProcess[] instances;
    private final Nginx nginx;

    /** Starts S3, {@code size} instances with {@code extraArgs} (e.g. {@code --allow-upload}), nginx. */
    Cluster(int size, String... extraArgs) throws Exception {
        s3 = new S3Server();
        root = Files.createTempDirectory("bitsbridge-cluster");
        this.extraArgs = List.of(extraArgs);
        instances = new ServeProcess[size];
        Nginx started = null;
        try {
            s3.createBucket(BUCKET);
            // In parallel: each JVM's start-up is mostly single-threaded class loading.
            ExecutorService pool = Executors.newFixedThreadPool(size);
            try {
                List<Future<ServeProcess>> starting = new ArrayList<>();
                for (int i = 0; i < size; i++) {
                    int n = i;
                    starting.add(pool.submit(() -> start(n, 0)));
                }
                for (int i = 0; i < size; i++) {
                    instances[i] = starting.get(i).get();
                }
            } finally {
                pool.shutdown();
            }
            started = new Nginx(ports());
        } catch (Exception e) {
            stopAll();
            s3.close();
            deleteRoot();
            throw e;
        }
        nginx = started;
    }

    private ServeProcess start(int i, int port) throws Exception {
        Path state = root.resolve("instance-" + i);
        Files.createDirectories(state);
        List<String> args = new ArrayList<>(List.of("--bucket", BUCKET, "--endpoint", s3.endpoint().toString(),
                "--state-dir", state.toString(), "--state-bucket", STATE_BUCKET, "--state-prefix", STATE_PREFIX));
        args.addAll(extraArgs);
        return ServeProcess.start(s3, port, JVM, args.toArray(String[]::new));
    }

    S3Server s3() {
        return s3;
    }

    Nginx nginx() {
        return nginx;
    }

    /** The balancer's port: where clients go. */
    int port() {
        return nginx.port();
    }

    int size() {
        return instances.length;
    }

    /** Instance {@code i}'s own port (to ask one instance directly, bypassing the balancer). */
    int port(int i) {
        return instances[i].port();
    }

    /** Instance {@code i}'s own state folder. */
    Path stateDir(int i) {
        return root.resolve("instance-" + i);
    }

    List<Integer> ports() {
        return Stream.of(instances).map(ServeProcess::port).toList();
    }

    /**
     * Which instance an upstream address in nginx's log or {@link Nginx#UPSTREAM_HEADER} names (of
     * "a, b", the last: the one that answered); -1 if none.
     */
    int instanceAt(String upstream) {
        if (upstream == null) {
            return -1;
        }
        String last = upstream.substring(upstream.lastIndexOf(',') + 1).trim();
        for (int i = 0; i < instances.length; i++) {
            if (last.equals("127.0.0.1:" + instances[i].port())) {
                return i;
            }
        }
        return -1;
    }

    /** SIGKILL of instance {@code i}; nginx keeps it in its list (it finds out, as in production). */
    void kill(int i) throws InterruptedException {
        instances[i].kill();
    }


    private void stopAll() throws InterruptedException {
        for (ServeProcess p : instances) {
            if (p != null && p.process().isAlive()) {
                p.kill(); // nothing to drain at the end of a test class; SIGKILL is the quick way out
            }
        }
    }

    @Override
    public void close() throws Exception {
        try {
            if (nginx != null) {
                nginx.close();
            }
            stopAll();
        } finally {
            s3.close();
            deleteRoot();
        }
    }

    private void deleteRoot() {
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temp folder left behind is not a test failure
        }
    }
}
