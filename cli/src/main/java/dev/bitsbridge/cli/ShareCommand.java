package dev.bitsbridge.cli;

import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.http.RequestPath.InvalidPathException;
import dev.bitsbridge.proxy.s3.S3SharedState;
import dev.bitsbridge.proxy.upstream.TlsContexts;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import dev.bitsbridge.proxy.s3.KeyMapper;
import dev.bitsbridge.proxy.s3.S3Paths;
import dev.bitsbridge.proxy.share.ShareEndpoints;
import dev.bitsbridge.proxy.share.ShareLinks;
import dev.bitsbridge.proxy.share.ShareSecret;
import dev.bitsbridge.proxy.share.ShareToken;
import dev.bitsbridge.proxy.state.StateFiles;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code bitsbridge share <key>}: mints a share link with the secret in the state folder (the one
 * {@code serve} verifies with), printed as the last line of the output so scripts can take it with
 * {@code tail -n 1}. Needs no running proxy and no network. Also rotates the secret.
 */
@Command(name = "share", mixinStandardHelpOptions = true, sortOptions = false,
        versionProvider = ManifestVersionProvider.class,
        description = "Print a share link for an object: one URL for HEAD, GET and Range, with an expiry,"
                + " optionally good for one complete transfer only.",
        footerHeading = "%nExamples:%n",
        footer = {
            "  bitsbridge share setup.exe --expires 2h",
            "  bitsbridge share 'data/report 2026.pdf' --once --base-url http://files.example.lan:8080",
            "  bitsbridge share setup.exe --config bitsbridge.conf      (port and --public-host as serve has them)",
            "  bitsbridge share incoming/log.zip --upload --expires 1d      (a BITS upload link)",
            "  bitsbridge share --rotate-secret --keep-previous",
            "",
            "The proxy that serves the link must use the same --state-dir; with",
            "'serve --require-token' only requests with a valid link get objects.",
            "See docs/sharing.md."})
public class ShareCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "KEY",
            description = "The object as the proxy's clients name it: its key (bucket mode) or <bucket>/<key>.")
    String key;

    @Option(names = "--expires", paramLabel = "DURATION", defaultValue = "24h", converter = DurationConverter.class,
            description = "How long the link works, e.g. 10m, 2h, 7d (default: ${DEFAULT-VALUE}; at most 366d).")
    Duration expires;

    @Option(names = "--once", description = "Good for one complete transfer: once every byte was delivered, 410 Gone.")
    boolean once;

    @Option(names = "--upload", description = "A link for a BITS upload to KEY (needs 'serve --allow-upload').")
    boolean upload;

    @Option(names = "--base-url", paramLabel = "URL",
            description = "How clients reach the proxy (default: from serve's settings in --config and BITSBRIDGE_*:"
                    + " https if --tls-cert, the first --public-host else 127.0.0.1, --port).")
    String baseUrl;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Read options from FILE, the one serve uses (default: BITSBRIDGE_CONFIG).")
    Path config;

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = {"Where the secret is (created on first use; default: ~/.bitsbridge;",
                "  on Windows %%LOCALAPPDATA%%\\bitsbridge)."})
    Path stateDir;

    @Option(names = "--rotate-secret",
            description = "Replace the secret: links signed before stop working (unless --keep-previous).")
    boolean rotate;

    @Option(names = "--keep-previous", description = "With --rotate-secret: the previous secret still verifies.")
    boolean keepPrevious;

    @Override
    public Integer call() throws Exception {
        String stateBucket = stateDir == null ? serveValue("--state-bucket") : null;
        if (stateBucket != null && !stateBucket.isBlank()) {
            // serve keeps its share keys in the state bucket (scale-out): mint and rotate there.
            try (S3SharedState shared = sharedState()) {
                return call(null, shared, "s3://" + stateBucket + "/" + serve().config().sharedState().prefix()
                        + ShareSecret.SHARED_NAME);
            }
        }
        Path dir = stateDir != null ? stateDir : StateFiles.defaultDir();
        return call(dir, null, dir.resolve(ShareSecret.FILE).toString());
    }

    /** @param shared serve's state bucket, or null: the secret is in {@code dir} */
    private Integer call(Path dir, S3SharedState shared, String where) throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (rotate) {
            if (key != null) {
                throw bad("--rotate-secret takes no KEY");
            }
            if (shared != null) {
                ShareSecret.rotate(shared, keepPrevious);
            } else {
                ShareSecret.rotate(dir, keepPrevious);
            }
            out.println("New share-link secret in " + where + (keepPrevious
                    ? "; links signed with the previous one keep working until the next rotation."
                    : "; every link signed before no longer works."));
            out.println(shared != null ? "Every instance picks it up within --state-validity ("
                    + dev.bitsbridge.proxy.config.Durations.format(serve().config().sharedState().validity()) + ")."
                    : "A running proxy picks it up within 2 seconds.");
            out.flush();
            return 0;
        }
        if (key == null || key.isEmpty()) {
            throw bad("KEY is missing: bitsbridge share <key> (or --rotate-secret)");
        }
        String k = key.startsWith("/") ? key.substring(1) : key;
        try {
            new KeyMapper(null, "").mapKey("/" + S3Paths.encodeKey(k));
        } catch (InvalidPathException e) {
            throw bad("KEY cannot be served: " + e.getMessage());
        }
        String baseUrl = this.baseUrl != null ? this.baseUrl : servesBase();
        if (!baseUrl.startsWith("http://") && !baseUrl.startsWith("https://")) {
            throw bad("--base-url must start with http:// or https://, not " + baseUrl);
        }
        ShareLinks links = new ShareLinks(shared != null ? ShareSecret.shared(shared) : ShareSecret.open(dir),
                Clock.systemUTC());
        ShareToken t;
        try {
            t = ShareEndpoints.newToken(links, k, expires, once, upload);
        } catch (IllegalArgumentException e) {
            throw bad(e.getMessage());
        }
        out.println("object:  " + k);
        out.println("expires: " + Instant.ofEpochSecond(t.expiresEpochSecond()) + " (in " + expires.toString()
                .substring(2).toLowerCase(java.util.Locale.ROOT) + ")");
        out.println("use:     " + (upload ? "one BITS upload to this key (BITS_POST)"
                : once ? "HEAD, GET and Range until every byte was delivered once, then 410 Gone"
                : "HEAD, GET and Range, any number of times"));
        out.println("secret:  " + where + (shared != null ? " (shared by every instance with this --state-bucket)"
                : " (serve with the same --state-dir)"));
        if (this.baseUrl == null) {
            out.println("base:    " + baseUrl + " (serve's address from its config and environment; else --base-url)");
        }
        out.println(ShareEndpoints.url(baseUrl, k, links.sign(t)));
        out.flush();
        return 0;
    }

    /**
     * The base of the link as serve would hand it out, from serve's own options as the same
     * sources set them (environment, config file, defaults): picocli has not parsed them for this
     * command, so they are asked of the default-value provider by serve's option specs.
     */
    private String servesBase() {
        java.util.function.Function<String, String> value = this::serveValue;
        String port = value.apply("--port");
        if ("0".equals(port)) {
            throw bad("serve's --port is 0 (a free port at each start), so the link's port is not known:"
                    + " give --base-url");
        }
        String tls = value.apply("--tls-cert");
        try {
            return linkBase(value.apply("--bind"), port, value.apply("--public-host"), tls != null && !tls.isEmpty());
        } catch (NumberFormatException e) {
            throw bad("serve's --port is not a number: '" + port + "'; fix it or give --base-url");
        }
    }

    /** One of serve's options as its config file and environment set it (or its default). */
    private String serveValue(String name) {
        CommandSpec serve = spec.root().subcommands().get("serve").getCommandSpec();
        picocli.CommandLine.Model.OptionSpec o = serve.findOption(name);
        if (o == null) {
            return null;
        }
        try {
            IDefaultValueProvider p = spec.root().defaultValueProvider();
            return p != null ? p.defaultValue(o) : o.defaultValue();
        } catch (Exception e) {
            return o.defaultValue();
        }
    }

    private ServeCommand serveCommand;

    /** serve's whole configuration as its config file and environment set it (no arguments). */
    private ServeCommand serve() {
        if (serveCommand == null) {
            picocli.CommandLine line = spec.root().subcommands().get("serve");
            line.parseArgs();
            serveCommand = line.getCommand();
        }
        return serveCommand;
    }

    /** serve's state bucket, reached with serve's endpoint, region, credentials and CA bundle. */
    private S3SharedState sharedState() throws Exception {
        ServeCommand serve = serve();
        ProxyConfig config = serve.config();
        AwsCredentialsProvider provider = AwsSetup.credentials(serve.credentials.profile, serve.credentials.roleArn,
                serve.credentials.roleSessionName, config.region(), config.network().upstreamProxy());
        return S3SharedState.create(config, provider,
                config.caBundle() == null ? null : TlsContexts.trustManagerFactory(config.caBundle()));
    }

    /**
     * {@code scheme://host[:port]} for a proxy listening on {@code bind}:{@code port}: the first
     * public host name if any (the name serve hands out), else the bound address unless it is a
     * wildcard, which names no machine (then 127.0.0.1: the link works here).
     */
    static String linkBase(String bind, String port, String publicHosts, boolean tls) {
        String host = "127.0.0.1";
        if (publicHosts != null && !publicHosts.isBlank()) {
            host = publicHosts.split(",")[0].strip();
        } else if (bind != null && !bind.isBlank() && !bind.equals("0.0.0.0") && !bind.equals("::")
                && !bind.equals("[::]")) {
            host = bind.contains(":") && !bind.startsWith("[") ? "[" + bind + "]" : bind;
        }
        String scheme = tls ? "https" : "http";
        int p = port == null || port.isBlank() ? 8080 : Integer.parseInt(port.strip());
        boolean standard = tls ? p == 443 : p == 80;
        return scheme + "://" + host + (standard ? "" : ":" + p);
    }

    private ParameterException bad(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
