package dev.bitsbridge.cli;

import dev.bitsbridge.cli.ServeOptions.Upstream;
import dev.bitsbridge.cli.ServeOptions.Credentials;
import dev.bitsbridge.cli.ServeOptions.Listening;
import dev.bitsbridge.cli.ServeOptions.Presigned;
import dev.bitsbridge.cli.ServeOptions.Sharing;
import dev.bitsbridge.cli.ServeOptions.Uploads;
import dev.bitsbridge.cli.ServeOptions.Limits;
import dev.bitsbridge.cli.ServeOptions.Cache;
import dev.bitsbridge.cli.ServeOptions.Scale;
import dev.bitsbridge.cli.ServeOptions.Operations;
import dev.bitsbridge.proxy.config.CacheConfig;
import dev.bitsbridge.proxy.config.SharedStateConfig;
import dev.bitsbridge.proxy.config.ConfigException;
import dev.bitsbridge.proxy.config.NetworkConfig;
import dev.bitsbridge.proxy.config.ProxyRoutes;
import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.config.SecurityConfig;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.state.StateFiles;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

/** {@code bitsbridge serve}: runs the proxy until SIGTERM or Ctrl-C, then drains and exits 0. */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false, abbreviateSynopsis = true,
        versionProvider = ManifestVersionProvider.class,
        description = "Serve S3 objects on http://127.0.0.1:PORT/<key> to BITS jobs and download tools.",
        footerHeading = "%nExamples:%n",
        footer = {
            "  bitsbridge serve --bucket my-bucket --region eu-west-1",
            "  bitsbridge serve --bucket my-bucket --prefix releases/ --profile deploy --port 9000",
            "  bitsbridge serve --endpoint http://127.0.0.1:9000 --path-style      (path mode: /<bucket>/<key>)",
            "  BITSBRIDGE_BUCKET=my-bucket bitsbridge serve",
            "  bitsbridge serve --config bitsbridge.conf --log-format json",
            "",
            "Every option can also be set with an environment variable BITSBRIDGE_<OPTION>,",
            "e.g. BITSBRIDGE_UPSTREAM_TIMEOUT=2m, or in a config file (--config) as",
            "'upstream-timeout = 2m'. The command line wins over the environment, the",
            "environment over the file. 'bitsbridge config show' prints what applies."})
public class ServeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @ArgGroup(validate = false, heading = "%nS3 upstream:%n", order = 1)
    final Upstream upstream = new Upstream();

    @ArgGroup(validate = false, heading = "%nCredentials:%n", order = 2)
    final Credentials credentials = new Credentials();

    @ArgGroup(validate = false, heading = "%nListening:%n", order = 3)
    final Listening listening = new Listening();

    @ArgGroup(validate = false, heading = "%nPresigned URLs (no credentials needed):%n", order = 4)
    final Presigned presigned = new Presigned();

    @ArgGroup(validate = false, heading = "%nShare links (see 'bitsbridge share'):%n", order = 5)
    final Sharing sharing = new Sharing();

    @ArgGroup(validate = false, heading = "%nBITS uploads:%n", order = 5)
    final Uploads uploads = new Uploads();

    @ArgGroup(validate = false, heading = "%nLimits and timeouts:%n", order = 6)
    final Limits limits = new Limits();

    @ArgGroup(validate = false, heading = "%nShared disk cache (off unless --cache-dir; see docs/cache.md):%n", order = 6)
    final Cache cache = new Cache();

    @ArgGroup(validate = false, heading = "%nScale-out (state in S3; see docs/scale-out.md):%n", order = 6)
    final Scale scale = new Scale();

    @ArgGroup(validate = false, heading = "%nConfiguration and logs:%n", order = 6)
    final Operations operations = new Operations();

    /** Environment for AWS_CA_BUNDLE; tests inject it. */
    Map<String, String> env = System.getenv();

    /** Builds the proxy configuration; a bad value throws ParameterException (exit 2). */
    ProxyConfig config() {
        URI endpoint = null;
        if (upstream.endpoint != null) {
            try {
                endpoint = URI.create(upstream.endpoint);
            } catch (IllegalArgumentException e) {
                throw bad("--endpoint is not a valid URL: " + upstream.endpoint);
            }
        }
        Path ca = upstream.caBundle;
        if (ca == null && env.get("AWS_CA_BUNDLE") != null && !env.get("AWS_CA_BUNDLE").isEmpty()) {
            ca = Path.of(env.get("AWS_CA_BUNDLE"));
        }
        URI vendor = null;
        if (presigned.urlVendor != null) {
            try {
                vendor = URI.create(presigned.urlVendor);
            } catch (IllegalArgumentException e) {
                throw bad("--url-vendor is not a valid URL");
            }
        }
        // Parsing ends here; every rule about the values is ProxyConfig.validate()'s.
        try {
            return builder(endpoint, ca, vendor).network(NetworkConfig.DEFAULTS.withUpstreamProxy(
                    ProxyRoutes.choose(upstream.upstreamProxy, upstream.noProxy, env))
                    .withTls(listening.tlsCert, listening.tlsKey)).build().validate();
        } catch (ConfigException e) {
            throw bad(e.getMessage());
        }
    }

    private ProxyConfig.Builder builder(URI endpoint, Path ca, URI vendor) {
        return ProxyConfig.builder()
                .bindAddress(listening.bind)
                .port(listening.port)
                .bucket(upstream.bucket)
                .prefix(upstream.prefix)
                .region(AwsSetup.region(upstream.region, credentials.profile))
                .endpoint(endpoint)
                .pathStyle(upstream.pathStyle)
                .accelerate(upstream.accelerate)
                .dualstack(upstream.dualstack)
                .caBundle(ca)
                .upstreamTimeout(limits.upstreamTimeout)
                .maxConnections(limits.maxConnections)
                .idleTimeout(limits.idleTimeout)
                .requestHeaderTimeout(limits.requestHeaderTimeout)
                .drainTimeout(limits.drainTimeout)
                .maxRanges(limits.maxRanges)
                .parallelConnections(limits.parallelConnections)
                .partSize(limits.downloadPartSize)
                .readAheadMemory(limits.readAheadMemory)
                .ioThreads(limits.ioThreads)
                .publicHosts(publicHosts())
                .corsOrigins(listening.corsOrigins)
                .stateDir(presigned.stateDir != null ? presigned.stateDir : StateFiles.defaultDir())
                .urlVendor(vendor)
                .urlVendorHeaders(presigned.urlVendorHeaders)
                .allowUpstream(presigned.allowUpstream)
                .allowUpload(uploads.allowUpload)
                .allowOverwrite(uploads.allowOverwrite)
                .maxUploadSize(uploads.maxUploadSize)
                .uploadPartSize(uploads.partSize)
                .uploadParallelism(uploads.parallelism)
                .uploadSessionTtl(uploads.sessionTtl)
                .maxUploadSessions(uploads.maxSessions)
                .maxSpoolBytes(uploads.maxSpoolBytes)
                .maxFragmentSize(uploads.maxFragmentSize)
                .requireToken(sharing.requireToken)
                .shareSpentMarkers(sharing.spentMarkers)
                .cache(CacheConfig.OFF.withDir(cache.dir).withMaxBytes(cache.size).withValidity(cache.validity))
                .sharedState(SharedStateConfig.OFF.withBucket(scale.bucket).withPrefix(scale.prefix)
                        .withValidity(scale.validity))
                .security(SecurityConfig.DEFAULTS
                        .withAllowPrivateUpstream(presigned.allowPrivateUpstream)
                        .withMaxConnectionsPerClient(limits.maxConnectionsPerClient)
                        .withMaxLinks(presigned.maxLinks)
                        .withLinkMaxAge(presigned.linkMaxAge));
    }

    private List<String> publicHosts() {
        return listening.publicHosts;
    }

    private ParameterException bad(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    @Override
    public Integer call() throws Exception {
        Preload.await(); // logback fully set up before anything logs or --log-format replaces it
        ProxyConfig config = config();
        configureLogging();
        AwsCredentialsProvider provider = AwsSetup.credentials(credentials.profile, credentials.roleArn,
                credentials.roleSessionName, config.region(), config.network().upstreamProxy());
        if (!operations.skipChecks && !StartupSummary.passes(config, provider, spec.commandLine().getOut(),
                spec.commandLine().getErr())) {
            return 2;
        }
        BitsBridgeServer server = new BitsBridgeServer(config, provider);
        try {
            server.start();
        } catch (ConfigException e) {
            spec.commandLine().getErr().println("bitsbridge: " + e.getMessage());
            return 2;
        } catch (java.net.BindException e) {
            spec.commandLine().getErr().println("bitsbridge: cannot listen on " + config.bindAddress() + ":"
                    + config.port() + ": " + e.getMessage());
            return 1;
        }
        markClassDataRecording();
        PrintWriter out = spec.commandLine().getOut();
        out.println(banner(config, server.port()));
        out.flush();
        IdleMemory.applySoon(); // listening first: it loads management classes, 2 s later
        CountDownLatch stopped = new CountDownLatch(1);
        Shutdown.onTermination(() -> {
            server.stop(config.drainTimeout());
            stopped.countDown();
        });
        stopped.await();
        return 0;
    }

    /** The line serve prints once listening: where clients go, and which S3 objects that is. */
    static String banner(ProxyConfig config, int port) {
        return "bitsbridge serving on " + (config.network().tls() ? "https" : "http") + "://"
                + hostForUrl(config.bindAddress()) + ":" + port + "/"
                + (config.bucket() != null ? "<key>  (s3://" + config.bucket() + "/" + config.prefix() + "<key>)"
                : config.urlVendor() != null ? "<key>  (URLs from the vendor)"
                : "<bucket>/<key>" + (config.prefix().isEmpty() ? "" : "  (s3://<bucket>/" + config.prefix() + "<key>)"));
    }

    /**
     * Tells the launcher that this run really serves, so the class-data archive it records at exit
     * is worth keeping (see the launcher script: a 'serve' that fails on a bad option would
     * otherwise leave a small archive that slows every later start).
     */
    private static void markClassDataRecording() {
        String marker = System.getProperty("bitsbridge.cds.recording");
        if (marker != null && !marker.isEmpty()) {
            try {
                Files.write(Path.of(marker), new byte[0]);
            } catch (java.io.IOException | RuntimeException e) {
                // only start-up time depends on it
            }
        }
    }

    void configureLogging() {
        try {
            if (operations.logFile != null && (operations.logFileSize < 1024 || operations.logFileCount < 1)) {
                throw bad("--log-file-size must be at least 1K and --log-file-count at least 1");
            }
            LogSetup.configure(operations.logFormat, operations.logLevel, operations.logFile == null ? null
                    : new LogSetup.LogFile(operations.logFile, operations.logFileSize, operations.logFileCount));
        } catch (IllegalArgumentException e) {
            throw bad(e.getMessage());
        }
    }

    static String hostForUrl(String bind) {
        if (bind.equals("0.0.0.0") || bind.equals("::")) {
            return "127.0.0.1";
        }
        return bind.indexOf(':') >= 0 ? "[" + bind + "]" : bind;
    }
}
