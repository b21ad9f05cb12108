package dev.bitsbridge.cli;

import dev.bitsbridge.proxy.testing.S3Server;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code bitsbridge serve} in a process of its own (on this test's class path) with the S3
 * server's credentials in its environment, for tests that kill it with SIGKILL and start another
 * on the same folders. Its output is read until the "serving on" line names the port, then
 * drained by a daemon thread so the process never blocks on a full pipe.
 */
record ServeProcess(Process process, int port) {

    private static final Pattern SERVING = Pattern.compile("serving on http://127\\.0\\.0\\.1:(\\d+)/");

    /** Starts {@code serve --port 0} plus {@code args}; returns once it serves. */
    static ServeProcess start(S3Server s3, String... args) throws Exception {
        return start(s3, 0, List.of(), args);
    }

    /**
     * Starts {@code serve --port port} plus {@code args} in a JVM with {@code jvmOptions} (a small
     * heap for tests that start several); returns once it serves.
     */
    static ServeProcess start(S3Server s3, int port, List<String> jvmOptions, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), BitsBridgeCli.class.getName(),
                "serve", "--port", Integer.toString(port)));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("AWS_ACCESS_KEY_ID", S3Server.ACCESS_KEY);
        pb.environment().put("AWS_SECRET_ACCESS_KEY", s3.secretKey());
        pb.environment().put("AWS_REGION", "us-east-1");
        Process p = pb.start();
        BufferedReader lines = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        for (String line; (line = lines.readLine()) != null; ) {
            Matcher m = SERVING.matcher(line);
            if (m.find()) {
                Thread drain = new Thread(() -> lines.lines().forEach(l -> { }));
                drain.setDaemon(true);
                drain.start();
                return new ServeProcess(p, Integer.parseInt(m.group(1)));
            }
            if (seen.length() < 4000) {
                seen.append(line).append('\n');
            }
        }
        p.waitFor(10, TimeUnit.SECONDS);
        throw new IllegalStateException("the proxy did not start:\n" + seen);
    }

    /** SIGKILL: no shutdown hook, no drain, sockets reset by the kernel; returns once it is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("still alive 10 s after SIGKILL");
        }
    }
}
