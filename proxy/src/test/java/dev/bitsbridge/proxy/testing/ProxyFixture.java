package dev.bitsbridge.proxy.testing;

import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

/**
 * The integration tier's fixture as one JUnit 5 extension: s3proxy in-process ({@link S3Server},
 * signatures checked) seeded with a bucket and objects, and a {@link BitsBridgeServer} in bucket
 * mode in front of it, both on 127.0.0.1 port 0. Modelled on s3proxy's own test extension:
 *
 * <pre>{@code
 * @RegisterExtension
 * static ProxyFixture fx = ProxyFixture.builder().bucket("files").object("a.bin", DATA)
 *         .config(b -> b.maxRanges(5)).build();
 * ... RawHttp.exchange(fx.port(), RawHttp.get("/a.bin")) ...
 * }</pre>
 *
 * <p>Registered on a static field, S3 and the proxy start once before the class's first test and
 * stop after its last. {@link Builder#proxyPerTest()} starts a fresh proxy (with a fresh state
 * folder when {@link Builder#stateDir()} is asked for) around every test instead, for tests that
 * stop it or depend on its state being new; S3 is still shared. {@link #startProxy} gives a test its
 * own variant, stopped after that test (or after the class when called from {@code @BeforeAll}).
 *
 * <p>Not thread-safe: JUnit calls it from the test's thread.
 */
public final class ProxyFixture implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback,
        AfterEachCallback {

    private final String bucket;
    private final Map<String, byte[]> objects;
    private final Map<String, String> contentTypes;
    private final UnaryOperator<ProxyConfig.Builder> config;
    private final boolean startProxy;
    private final boolean perTest;
    private final boolean withStateDir;
    private final Clock clock;

    private S3Server s3;
    private BitsBridgeServer proxy;
    private Path stateDir;
    /** Extra proxies of the running test (or of the class, before the first test), stopped after it. */
    private final List<BitsBridgeServer> extras = new ArrayList<>();
    private final List<BitsBridgeServer> classExtras = new ArrayList<>();
    private final List<Path> dirs = new ArrayList<>();
    private boolean inTest;

    private ProxyFixture(Builder b) {
        this.bucket = b.bucket;
        this.objects = new LinkedHashMap<>(b.objects);
        this.contentTypes = new LinkedHashMap<>(b.contentTypes);
        this.config = b.config;
        this.startProxy = b.startProxy;
        this.perTest = b.perTest;
        this.withStateDir = b.stateDir;
        this.clock = b.clock;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        s3 = new S3Server();
        if (bucket != null) {
            s3.createBucket(bucket);
            for (Map.Entry<String, byte[]> e : objects.entrySet()) {
                s3.put(bucket, e.getKey(), e.getValue(),
                        contentTypes.getOrDefault(e.getKey(), "application/octet-stream"));
            }
        }
        if (startProxy && !perTest) {
            startMain();
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        inTest = true;
        if (startProxy && perTest) {
            startMain();
        }
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        inTest = false;
        stopAll(extras);
        if (perTest) {
            stopMain();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        stopAll(classExtras);
        stopMain();
        try {
            if (s3 != null) {
                s3.close();
            }
        } finally {
            s3 = null;
            for (Path d : dirs) {
                deleteTree(d);
            }
            dirs.clear();
        }
    }

    private void startMain() throws Exception {
        stateDir = withStateDir ? newDir() : null;
        proxy = new BitsBridgeServer(baseConfig().build(), s3.credentials(), clock).start();
    }

    private void stopMain() {
        if (proxy != null) {
            proxy.stop(Duration.ZERO);
            proxy = null;
        }
    }

    private static void stopAll(List<BitsBridgeServer> servers) {
        for (BitsBridgeServer p : servers) {
            p.stop(Duration.ZERO); // a no-op for one the test stopped itself
        }
        servers.clear();
    }

    /** Bucket mode on this fixture's S3, the builder's {@code config} applied, port 0. */
    private ProxyConfig.Builder baseConfig() {
        ProxyConfig.Builder b = ProxyConfig.builder().bucket(bucket).endpoint(s3.endpoint()).stateDir(stateDir);
        return config.apply(b).port(0);
    }

    /**
     * A proxy of the test's own: the fixture's configuration (bucket, endpoint, state folder, the
     * builder's {@code config}), then {@code tweak}; started on port 0 and stopped after the test.
     */
    public BitsBridgeServer startProxy(UnaryOperator<ProxyConfig.Builder> tweak) throws Exception {
        return startProxy(tweak, s3.credentials());
    }

    /** As {@link #startProxy(UnaryOperator)}, signing with other credentials (null: anonymous). */
    public BitsBridgeServer startProxy(UnaryOperator<ProxyConfig.Builder> tweak, AwsCredentialsProvider credentials)
            throws Exception {
        BitsBridgeServer p = new BitsBridgeServer(tweak.apply(baseConfig()).port(0).build(), credentials, clock)
                .start();
        (inTest ? extras : classExtras).add(p);
        return p;
    }

    /** A new empty folder, deleted after the class. */
    public Path newDir() throws IOException {
        Path d = Files.createTempDirectory("bitsbridge-fixture");
        dirs.add(d);
        return d;
    }

    public S3Server s3() {
        return s3;
    }

    /** The fixture's proxy; with {@code proxyPerTest()}, the current test's. */
    public BitsBridgeServer proxy() {
        if (proxy == null) {
            throw new IllegalStateException("no proxy: the fixture was built with withoutProxy()");
        }
        return proxy;
    }

    public int port() {
        return proxy().port();
    }

    /** {@code http://127.0.0.1:<port><path>}; {@code path} is used as given (already encoded). */
    public URI url(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    public String bucket() {
        return bucket;
    }

    /** The proxy's state folder, or null when the builder did not ask for one. */
    public Path stateDir() {
        return stateDir;
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort: a temp folder left behind fails no test
                }
            });
        } catch (IOException e) {
            // already gone
        }
    }

    /** Not thread-safe. */
    public static final class Builder {
        private String bucket;
        private final Map<String, byte[]> objects = new LinkedHashMap<>();
        private final Map<String, String> contentTypes = new LinkedHashMap<>();
        private UnaryOperator<ProxyConfig.Builder> config = b -> b;
        private boolean startProxy = true;
        private boolean perTest;
        private boolean stateDir;
        private Clock clock = Clock.systemUTC();

        private Builder() {
        }

        /** The proxies' clock (share links, uploads, vended URLs): a {@link MutableClock} to test expiry. */
        public Builder clock(Clock v) {
            clock = v;
            return this;
        }

        /** The bucket created in S3 and served by the proxy (bucket mode). */
        public Builder bucket(String v) {
            bucket = v;
            return this;
        }

        public Builder object(String key, byte[] data) {
            objects.put(key, data);
            return this;
        }

        public Builder object(String key, byte[] data, String contentType) {
            objects.put(key, data);
            contentTypes.put(key, contentType);
            return this;
        }

        public Builder objects(Map<String, byte[]> v) {
            objects.putAll(v);
            return this;
        }

        /** Applied to the proxy's configuration after bucket, endpoint and state folder. */
        public Builder config(UnaryOperator<ProxyConfig.Builder> v) {
            config = v;
            return this;
        }

        /** The proxy gets a state folder (new for each proxy started by the fixture). */
        public Builder stateDir() {
            stateDir = true;
            return this;
        }

        /** A fresh proxy around every test rather than one for the class. */
        public Builder proxyPerTest() {
            perTest = true;
            return this;
        }

        /** S3 only: the tests start the proxies they need with {@link ProxyFixture#startProxy}. */
        public Builder withoutProxy() {
            startProxy = false;
            return this;
        }

        public ProxyFixture build() {
            if (startProxy && bucket == null) {
                throw new IllegalStateException("the fixture's proxy runs in bucket mode: name a bucket");
            }
            return new ProxyFixture(this);
        }
    }
}
