package dev.bitsbridge.proxy.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The build's check of the test run's logs, so that {@code ./mvnw verify} itself fails (not only
 * CI's script): run by exec-maven-plugin in each module's verify phase, after surefire, on
 * {@code target/test-logs/*.log}.
 *
 * <ul>
 *   <li>No secret in any log line: the tests sign with random secret keys ({@code secret-<uuid>}),
 *       send presigned URLs, bearer and session tokens, and share-link tokens
 *       ({@code v1.<claims>.<mac>}); the proxy must never log one.
 *   <li>No Netty leak report: every ByteBuf is tracked during the tests (paranoid detection, set in
 *       the parent pom), and one garbage-collected unreleased is logged as {@code LEAK:}.
 * </ul>
 *
 * <p>Fails with the offending lines named (file:line). Reads bytes as ISO-8859-1: the patterns are
 * ASCII and a log line with malformed UTF-8 must not stop the audit.
 */
public final class LogAudit {

    /** The same expressions as .ci/run's grep. */
    static final Pattern SECRET = Pattern.compile("secret-[0-9a-f]{8}-[0-9a-f]{4}|X-Amz-Signature=|Signature=[0-9a-f]{16}"
            + "|X-Amz-Security-Token|SIGSECRET|TOKSECRET|SECRET-TOKEN|wJalrXUtnFEMI"
            + "|v1\\.[A-Za-z0-9_-]{20,}\\.[A-Za-z0-9_-]{43}");
    static final Pattern LEAK = Pattern.compile("LEAK:");

    /** What the audit found, and how much it read. */
    record Result(List<String> secrets, List<String> leaks, int files, long lines) {
        boolean clean() {
            return secrets.isEmpty() && leaks.isEmpty();
        }
    }

    private LogAudit() {
    }

    /** @param args the folder holding the test run's {@code *.log} files */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        Result r = audit(dir);
        if (!r.clean()) {
            StringBuilder msg = new StringBuilder();
            if (!r.secrets().isEmpty()) {
                msg.append(r.secrets().size()).append(" log lines with a secret (never log credentials, signatures,")
                        .append(" tokens):\n");
                r.secrets().stream().limit(20).forEach(l -> msg.append("  ").append(l).append('\n'));
            }
            if (!r.leaks().isEmpty()) {
                msg.append(r.leaks().size()).append(" Netty leak reports (a ByteBuf was never released):\n");
                r.leaks().stream().limit(20).forEach(l -> msg.append("  ").append(l).append('\n'));
            }
            System.err.print(msg);
            throw new IllegalStateException("log audit of " + dir + " failed:\n" + msg);
        }
        System.out.println("log audit: " + r.lines() + " lines in " + r.files() + " log files under " + dir
                + ", no secret and no leaked buffer in any");
    }

    static Result audit(Path dir) throws IOException {
        List<String> secrets = new ArrayList<>();
        List<String> leaks = new ArrayList<>();
        List<Path> logs = new ArrayList<>();
        if (Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                s.filter(p -> p.getFileName().toString().endsWith(".log")).sorted().forEach(logs::add);
            }
        }
        long lines = 0;
        for (Path log : logs) {
            try (BufferedReader in = Files.newBufferedReader(log, StandardCharsets.ISO_8859_1)) {
                String line;
                int n = 0;
                while ((line = in.readLine()) != null) {
                    n++;
                    if (SECRET.matcher(line).find()) {
                        secrets.add(log.getFileName() + ":" + n + ": " + line);
                    }
                    if (LEAK.matcher(line).find()) {
                        leaks.add(log.getFileName() + ":" + n + ": " + line);
                    }
                }
                lines += n;
            }
        }
        return new Result(secrets, leaks, logs.size(), lines);
    }
}
