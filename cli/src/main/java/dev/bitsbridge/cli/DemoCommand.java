package dev.bitsbridge.cli;

import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.s3.S3Paths;
import dev.bitsbridge.proxy.share.ShareEndpoints;
import dev.bitsbridge.proxy.share.ShareLinks;
import dev.bitsbridge.proxy.share.ShareSecret;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * {@code bitsbridge demo}: the whole path on a machine with no AWS account. An S3-compatible server
 * (s3proxy, in-process, loopback only, checking every signature) seeded with sample objects, the
 * proxy in front of it, and commands to paste.
 *
 * <p>The S3 server lives in a second jar, demo/bitsbridge-demo-s3.jar beside bitsbridge.jar (built
 * with it from source; the distribution zip leaves it out). This class names no s3proxy type, so
 * registering the command costs nothing without it; {@link EmbeddedS3} does, and is loaded only
 * once the jar was found. Without it, {@code demo} says so in one line and exits 2.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, versionProvider = ManifestVersionProvider.class,
        description = "Run an embedded S3 server with sample files and the proxy in front of it; print commands that work.")
public final class DemoCommand implements Callable<Integer> {

    static final String BUCKET = "demo";

    /** The demo's S3 server jar, relative to bitsbridge.jar: its manifest's Class-Path names it. */
    static final String S3_JAR = "demo/bitsbridge-demo-s3.jar";

    @Spec
    CommandSpec spec;

    @Option(names = "--port", paramLabel = "N", defaultValue = "8080",
            description = "Proxy port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--log-format", paramLabel = "FORMAT", defaultValue = "text",
            description = "text (default) or json: one JSON object per line on stderr, as with serve.")
    LogSetup.Format logFormat;

    @Option(names = "--log-level", paramLabel = "LEVEL", defaultValue = "info",
            description = "error, warn, info (default), debug or trace.")
    String logLevel;

    /** A running demo: the embedded S3 server and the proxy. */
    static final class Running implements AutoCloseable {
        final EmbeddedS3 s3;
        final BitsBridgeServer proxy;
        final Path dir;
        final Map<String, byte[]> objects;

        Running(EmbeddedS3 s3, BitsBridgeServer proxy, Path dir, Map<String, byte[]> objects) {
            this.s3 = s3;
            this.proxy = proxy;
            this.dir = dir;
            this.objects = objects;
        }

        @Override
        public void close() throws Exception {
            try {
                proxy.stop(Duration.ofSeconds(5));
                s3.stop();
            } finally {
                deleteTree(dir);
            }
        }
    }

    /** The sample objects: a text file, an installer-sized binary, a key with a space, an empty file, a 64 MiB image. */
    static Map<String, byte[]> samples() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("hello.txt", "Hello from bitsbridge: these bytes came from S3, signed per verb.\n".getBytes());
        byte[] setup = new byte[8 * 1024 * 1024];
        new Random(20261122L).nextBytes(setup);
        m.put("setup.exe", setup);
        byte[] report = new byte[1024 * 1024 + 123];
        new Random(7L).nextBytes(report);
        m.put("data/report 2026.pdf", report);
        m.put("empty.bin", new byte[0]);
        // Big enough to watch on the status page: on loopback the kernel's socket buffers take
        // the whole of setup.exe in well under a second, even from a rate-limited client.
        byte[] big = new byte[64 * 1024 * 1024];
        new Random(64L).nextBytes(big);
        m.put("big.iso", big);
        return m;
    }

    Running start() throws Exception {
        if (port < 0 || port > 65535) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--port must be between 0 and 65535");
        }
        if (!s3ProxyAvailable(DemoCommand.class.getClassLoader())) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), missingS3Jar());
        }
        Path dir = Files.createTempDirectory("bitsbridge-demo");
        try {
            return start(dir);
        } catch (Exception | Error e) {
            deleteTree(dir); // whatever failed (a port in use, a full disk), nothing is left behind
            throw e;
        }
    }

    private Running start(Path dir) throws Exception {
        String access = "DEMO" + hex(6).toUpperCase();
        String secret = hex(20);
        Files.createDirectories(dir.resolve("s3"));
        EmbeddedS3 s3 = EmbeddedS3.start(dir.resolve("s3"), access, secret);
        URI endpoint = s3.endpoint();
        StaticCredentialsProvider creds = StaticCredentialsProvider.create(AwsBasicCredentials.create(access, secret));
        Map<String, byte[]> objects = samples();
        try (S3Client client = S3Client.builder().endpointOverride(endpoint).region(Region.US_EAST_1)
                .credentialsProvider(creds).httpClient(UrlConnectionHttpClient.create())
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build()).build()) {
            client.createBucket(b -> b.bucket(BUCKET));
            for (Map.Entry<String, byte[]> e : objects.entrySet()) {
                client.putObject(b -> b.bucket(BUCKET).key(e.getKey()), RequestBody.fromBytes(e.getValue()));
            }
        }
        BitsBridgeServer proxy;
        try {
            proxy = new BitsBridgeServer(ProxyConfig.builder()
                    .port(port).bucket(BUCKET).endpoint(endpoint).pathStyle(true)
                    .stateDir(dir.resolve("state"))
                    .allowUpload(true)
                    .build(), creds).start();
        } catch (java.net.BindException e) {
            s3.stop();
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "port " + port + " is in use; choose another with --port N (0 picks a free one)");
        }
        Running running = new Running(s3, proxy, dir, objects);
        printGuide(spec.commandLine().getOut(), running, endpoint, creds);
        return running;
    }

    @Override
    public Integer call() throws Exception {
        try {
            LogSetup.configure(logFormat, logLevel);
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        IdleMemory.applySoon();
        Running running = start();
        CountDownLatch stopped = new CountDownLatch(1);
        Shutdown.onTermination(() -> {
            try {
                running.close();
            } catch (Exception e) {
                // stopping anyway
            }
            stopped.countDown();
        });
        stopped.await();
        return 0;
    }

    private static void printGuide(PrintWriter out, Running r, URI endpoint, StaticCredentialsProvider creds)
            throws NoSuchAlgorithmException, java.io.IOException {
        String base = "http://127.0.0.1:" + r.proxy.port() + "/";
        out.println();
        out.println("bitsbridge demo is running.");
        out.println("  embedded S3 (s3proxy, signatures checked): " + endpoint + "  bucket \"" + BUCKET + "\"");
        AwsCredentials c = creds.resolveCredentials();
        out.println("    access key " + c.accessKeyId() + ", secret key " + c.secretAccessKey()
                + " (made for this run; the data is deleted when the demo stops)");
        out.println("  bitsbridge proxy:                         " + base + "  (BITS uploads accepted)");
        out.println();
        out.println("Objects served through the proxy:");
        for (Map.Entry<String, byte[]> e : r.objects.entrySet()) {
            out.printf("  %-48s %9d bytes  sha256 %s%n", base + S3Paths.encodeKey(e.getKey()), e.getValue().length,
                    sha256(e.getValue()));
        }
        String setup = base + "setup.exe";
        out.println();
        out.println("Try it (curl):");
        out.println("  curl -I " + setup);
        out.println("  curl -r 0-1023 -o first-kb.bin " + setup);
        out.println("  curl -C - -O " + setup + "          # run twice: the second run resumes");
        out.println("  curl -H \"Range: bytes=0-9,100-109\" " + setup + "   # multipart/byteranges");
        out.println("  curl -o report.pdf \"" + base + S3Paths.encodeKey("data/report 2026.pdf") + "\"");
        out.println("  sha256sum setup.exe");
        out.println();
        out.println("Windows (PowerShell, BITS), on this machine:");
        out.println("  Start-BitsTransfer -Source " + setup + " -Destination .\\setup.exe");
        out.println("  (Get-FileHash .\\setup.exe -Algorithm SHA256).Hash");
        out.println("  bitsadmin /transfer demo /download /priority normal " + setup + " %CD%\\setup.exe");
        out.println("  Start-BitsTransfer -TransferType Upload -Source .\\setup.exe -Destination " + base
                + "uploads/setup-copy.exe");
        out.println();
        out.println("The embedded S3 itself, with other tools (same credentials):");
        out.println("  AWS_ACCESS_KEY_ID=" + c.accessKeyId() + " AWS_SECRET_ACCESS_KEY=" + c.secretAccessKey()
                + " aws --endpoint-url " + endpoint + " --region us-east-1 s3 ls s3://" + BUCKET + "/");
        out.println("  rclone lsl :s3:" + BUCKET + " --s3-provider Other --s3-endpoint " + endpoint
                + " --s3-access-key-id " + c.accessKeyId() + " --s3-secret-access-key " + c.secretAccessKey());
        out.println();
        try (S3Presigner presigner = S3Presigner.builder().endpointOverride(endpoint).region(Region.US_EAST_1)
                .credentialsProvider(creds)
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build()).build()) {
            String presigned = presigner.presignGetObject(p -> p.signatureDuration(Duration.ofHours(1))
                    .getObjectRequest(g -> g.bucket(BUCKET).key("setup.exe"))).url().toString();
            out.println("The problem it solves: a URL presigned for GET refuses the HEAD that BITS sends first:");
            out.println("  curl -I \"" + presigned + "\"    # 403");
            out.println("Register it with the proxy and BITS gets a URL that answers HEAD and ranges:");
            out.println("  curl -X POST -H \"Authorization: Bearer $(cat " + r.dir.resolve("state").resolve("admin-token")
                    + ")\" -H 'Content-Type: application/json' \\");
            out.println("       -d '{\"url\": \"" + presigned + "\", \"name\": \"setup.exe\"}' "
                    + base + "_bitsbridge/links");
        }
        out.println();
        Path state = r.dir.resolve("state");
        ShareLinks links = new ShareLinks(ShareSecret.open(state), java.time.Clock.systemUTC());
        String once = ShareEndpoints.url(base, "setup.exe",
                links.sign(ShareEndpoints.newToken(links, "setup.exe", Duration.ofHours(1), true, false)));
        out.println("Share links: the proxy's own URLs, good for HEAD, GET and Range, with an expiry.");
        out.println("This one works for one complete download within the hour, then answers 410 Gone:");
        out.println("  curl -o shared.exe \"" + once + "\"");
        out.println("Mint more (the secret is in the demo's state folder):");
        out.println("  java -jar cli/target/bitsbridge.jar share setup.exe --expires 10m --once --state-dir " + state
                + " --base-url " + base.substring(0, base.length() - 1));
        out.println();
        // The status page and metrics need the admin token; the page takes it from the URL's
        // fragment, which never leaves the browser (security.md).
        String admin = state.resolve("admin-token").toString();
        out.println("Watch transfers live: open this in a browser and start a slow download (about a minute):");
        out.println("  " + base + "_bitsbridge/#token=" + readAdminToken(state));
        out.println("  curl --limit-rate 1M -o big.iso " + base + "big.iso");
        out.println("Metrics for Prometheus:");
        out.println("  curl -H \"Authorization: Bearer $(cat " + admin + ")\" " + base + "_bitsbridge/metrics");
        out.println();
        out.println("Press Ctrl-C to stop.");
        out.flush();
    }

    /** Whether s3proxy can be loaded; nothing is loaded or initialised to find out. */
    static boolean s3ProxyAvailable(ClassLoader loader) {
        try {
            Class.forName("org.gaul.s3proxy.S3Proxy", false, loader);
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** The one line for an installation without the demo's S3 server jar. */
    static String missingS3Jar() {
        String where = S3_JAR + " beside bitsbridge.jar";
        try {
            Path jar = Path.of(DemoCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (Files.isRegularFile(jar) && jar.getParent() != null) {
                where = jar.getParent().resolve(S3_JAR).toString();
            }
        } catch (Exception | LinkageError e) {
            // the generic wording will do
        }
        return "demo needs its embedded S3 server, " + where + ", which the distribution leaves out;"
                + " build from source to get it: ./mvnw -B -q -DskipTests package && java -jar cli/target/bitsbridge.jar demo";
    }

    static void deleteTree(Path dir) throws java.io.IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    static String sha256(byte[] data) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    private static String hex(int bytes) {
        byte[] b = new byte[bytes];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** The admin token the server created in the demo's state folder (one line, owner-only). */
    private static String readAdminToken(Path state) {
        try {
            return java.nio.file.Files.readString(state.resolve("admin-token")).strip();
        } catch (java.io.IOException e) {
            return "<contents of " + state.resolve("admin-token") + ">";
        }
    }
}
