package dev.bitsbridge.proxy.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;

/**
 * A second, independent S3 implementation: s3rver (Node.js, from npm) as a child process on
 * 127.0.0.1 with a random port, data in a temp folder, signature checking on (its fixed
 * credentials S3RVER/S3RVER). It differs from S3 where real servers do (no conditional writes,
 * no ListParts, aws-chunked bodies stored as sent), which is why the conformance tests run
 * against it as well as s3proxy.
 *
 * <p>Where s3rver is not installed the test is skipped with a message that says how to install it
 * ({@code .ci/run} installs it): {@code npm install --prefix ~/.cache/bitsbridge-s3rver s3rver@3.7.1},
 * or point {@code S3RVER_JS} at its {@code bin/s3rver.js}.
 */
public final class S3rver implements AutoCloseable {

    public static final String ACCESS_KEY = "S3RVER";
    public static final String SECRET_KEY = "S3RVER";
    private static final Pattern LISTENING = Pattern.compile("listening on [^:]+:(\\d+)");

    private final Path dir;
    private final Process process;
    private final URI endpoint;
    private final S3Client client;

    /** Starts s3rver with {@code buckets} created; skips the calling test where it is not installed. */
    public S3rver(String... buckets) throws Exception {
        Path js = script();
        Assumptions.assumeTrue(js != null, "s3rver is not installed: npm install --prefix ~/.cache/bitsbridge-s3rver"
                + " s3rver@3.7.1 (or set S3RVER_JS); .ci/run does this");
        dir = Files.createTempDirectory("bitsbridge-s3rver");
        List<String> cmd = new ArrayList<>(List.of("node", js.toString(), "-d", dir.toString(), "-a", "127.0.0.1",
                "-p", "0", "--no-vhost-buckets"));
        for (String b : buckets) {
            cmd.add("--configure-bucket");
            cmd.add(b);
        }
        process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<Integer> port = CompletableFuture.supplyAsync(() -> {
            try {
                for (String line; (line = out.readLine()) != null;) {
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        return Integer.parseInt(m.group(1));
                    }
                }
                throw new IllegalStateException("s3rver exited before listening");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        int p;
        try {
            p = port.get(20, TimeUnit.SECONDS);
        } catch (Exception e) {
            process.destroyForcibly();
            throw e;
        }
        // Keep draining its output so a chatty server never blocks on a full pipe.
        Thread drain = new Thread(() -> {
            try {
                while (out.readLine() != null) {
                    // discarded: s3rver logs every request
                }
            } catch (IOException e) {
                // process gone
            }
        }, "s3rver-output");
        drain.setDaemon(true);
        drain.start();
        endpoint = URI.create("http://127.0.0.1:" + p);
        client = S3Client.builder()
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .credentialsProvider(credentials())
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true)
                        .chunkedEncodingEnabled(false).build())
                .httpClient(UrlConnectionHttpClient.create())
                .build();
    }

    /** Where s3rver's launcher script is, or null when it is not installed. */
    static Path script() {
        String env = System.getenv("S3RVER_JS");
        List<Path> candidates = new ArrayList<>();
        if (env != null && !env.isBlank()) {
            candidates.add(Path.of(env));
        }
        candidates.add(Path.of(System.getProperty("user.home"), ".cache", "bitsbridge-s3rver", "node_modules",
                "s3rver", "bin", "s3rver.js"));
        for (Path c : candidates) {
            if (Files.isRegularFile(c) && onPath("node")) {
                return c;
            }
        }
        return null;
    }

    private static boolean onPath(String exe) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String d : path.split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, exe))) {
                return true;
            }
        }
        return false;
    }

    public URI endpoint() {
        return endpoint;
    }

    public StaticCredentialsProvider credentials() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY));
    }

    /** An SDK client that sends plain (not aws-chunked) bodies, so what it stores is exact. */
    public S3Client client() {
        return client;
    }

    public void put(String bucket, String key, byte[] data, String contentType) {
        client.putObject(b -> b.bucket(bucket).key(key).contentType(contentType), RequestBody.fromBytes(data));
    }

    @Override
    public void close() throws Exception {
        client.close();
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort
                }
            });
        }
    }
}
