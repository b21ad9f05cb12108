package dev.bitsbridge.proxy.startup;

import dev.bitsbridge.proxy.config.OutboundProxy;
import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.s3.CredentialSource;
import dev.bitsbridge.proxy.s3.RequestSigner;
import dev.bitsbridge.proxy.s3.RetryPolicy;
import dev.bitsbridge.proxy.s3.S3Addressing;
import dev.bitsbridge.proxy.s3.S3Caller;
import dev.bitsbridge.proxy.s3.S3SharedState;
import dev.bitsbridge.proxy.state.StateFiles;
import dev.bitsbridge.proxy.upstream.NettyTransport;
import dev.bitsbridge.proxy.upstream.TlsContexts;
import dev.bitsbridge.proxy.upstream.UpstreamClient;
import dev.bitsbridge.proxy.upstream.UpstreamEndpoint;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import javax.net.ssl.TrustManagerFactory;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

/**
 * What {@code serve} checks before it says "serving", and {@code bitsbridge doctor} on demand: the
 * state folder is writable, the CA bundle loads, credentials resolve, the S3 endpoint answers (DNS,
 * TCP, TLS; through the forward proxy when one applies) and the bucket exists and can be listed
 * with these credentials in this region. Each check gives one {@link CheckResult}; a check whose
 * prerequisite failed is skipped, so the first failure is the one to fix.
 *
 * <p>Blocking, on the caller's thread; each network step is bounded by {@code timeout} (10 s by
 * default). Owns a one-thread event loop and an upstream client only while {@link #run()} runs.
 */
public final class StartupChecks {

    private final ProxyConfig config;
    private final AwsCredentialsProvider credentials;
    private final Duration timeout;

    /** @param credentials null when requests are anonymous */
    public StartupChecks(ProxyConfig config, AwsCredentialsProvider credentials) {
        this(config, credentials, Duration.ofSeconds(10));
    }

    public StartupChecks(ProxyConfig config, AwsCredentialsProvider credentials, Duration timeout) {
        this.config = config;
        this.credentials = credentials;
        this.timeout = timeout;
    }

    public Report run() {
        List<CheckResult> results = new ArrayList<>();
        results.add(stateFolder());
        TrustManagerFactory[] trust = new TrustManagerFactory[1];
        CheckResult ca = caBundle(trust);
        results.add(ca);
        boolean vendor = config.urlVendor() != null;
        CredentialSource source = credentials == null || vendor ? null : new CredentialSource(credentials);
        try {
            CheckResult creds = credentials(source, vendor);
            results.add(creds);
            if (vendor) {
                results.add(CheckResult.skipped(EndpointProbe.NAME, "not checked: the URL vendor names the hosts"));
                results.add(CheckResult.skipped(BucketProbe.NAME, "not checked: the URL vendor names the buckets"));
                return new Report(results);
            }
            UpstreamEndpoint ep = endpoint();
            OutboundProxy via = config.network().upstreamProxy().route(ep.secure(), ep.host(), ep.port());
            CheckResult reach = ca.failed() ? CheckResult.skipped(EndpointProbe.NAME, "not checked: fix the CA bundle")
                    : new EndpointProbe(timeout, trust[0]).probe(ep, via);
            if (reach.failed() && config.bucket() != null && config.endpoint() != null
                    && reach.detail().startsWith("unknown host " + config.bucket() + ".")) {
                reach = CheckResult.fail(EndpointProbe.NAME, "unknown host " + ep.host() + ": the bucket is part of"
                        + " the host name (virtual-hosted addressing); for an endpoint without wildcard DNS add"
                        + " --path-style");
            }
            results.add(reach);
            if (config.bucket() == null) {
                results.add(CheckResult.skipped(BucketProbe.NAME, "not checked: no --bucket (paths name the bucket)"));
            } else if (reach.failed() || creds.failed() || reach.status() == CheckResult.Status.SKIPPED) {
                results.add(CheckResult.skipped(BucketProbe.NAME, "not checked: fix the failure above first"));
            } else {
                results.add(bucket(source, trust[0]));
            }
            if (config.sharedState().enabled()) {
                results.add(reach.failed() || creds.failed() || reach.status() == CheckResult.Status.SKIPPED
                        ? CheckResult.skipped(STATE_BUCKET, "not checked: fix the failure above first")
                        : stateBucket(trust[0]));
            }
            return new Report(results);
        } finally {
            if (source != null) {
                source.close();
            }
        }
    }

    private CheckResult stateFolder() {
        String name = "state folder";
        Path dir = config.stateDir();
        if (dir == null) {
            return CheckResult.skipped(name, "none (links, share links and uploads are off)");
        }
        try {
            StateFiles.ensureDir(dir);
            Path probe = Files.createTempFile(dir, ".check-", ".tmp");
            Files.delete(probe);
            return CheckResult.ok(name, dir + " (writable)");
        } catch (IOException | RuntimeException e) {
            return CheckResult.fail(name, "the state folder " + dir + " cannot be written (" + io(e)
                    + "): fix its permissions or choose another with --state-dir");
        }
    }

    private CheckResult caBundle(TrustManagerFactory[] trust) {
        String name = "CA bundle";
        Path ca = config.caBundle();
        if (ca == null) {
            return CheckResult.ok(name, "not set (the JDK's trusted CAs)");
        }
        try {
            trust[0] = TlsContexts.trustManagerFactory(ca);
            int n;
            try (InputStream in = Files.newInputStream(ca)) {
                n = CertificateFactory.getInstance("X.509").generateCertificates(in).size();
            }
            return CheckResult.ok(name, ca + " (" + n + " certificate" + (n == 1 ? "" : "s") + ", plus the JDK's)");
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            return CheckResult.fail(name, "the CA bundle " + ca + " cannot be used (" + io(e)
                    + "): give a PEM file of CA certificates with --ca-bundle, or unset AWS_CA_BUNDLE");
        }
    }

    private CheckResult credentials(CredentialSource source, boolean vendor) {
        String name = "credentials";
        if (vendor) {
            return CheckResult.skipped(name, "not used (the URL vendor presigns)");
        }
        if (source == null) {
            return CheckResult.skipped(name, "not used (anonymous requests)");
        }
        try {
            source.credentials().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return CheckResult.ok(name, "found");
        } catch (ExecutionException | CompletionException e) {
            String why = e.getCause() != null && e.getCause().getMessage() != null ? e.getCause().getMessage()
                    : "AWS credentials could not be loaded";
            return config.bucket() != null ? CheckResult.fail(name, why)
                    : CheckResult.warn(name, why + " (presigned links still work)");
        } catch (TimeoutException e) {
            return CheckResult.fail(name, "loading AWS credentials took over " + timeout.toSeconds()
                    + "s (an SSO or instance-role provider that does not answer?)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CheckResult.fail(name, "interrupted");
        }
    }

    /** The endpoint bucket requests go to (the service endpoint in path mode). */
    private UpstreamEndpoint endpoint() {
        String bucket = config.bucket();
        S3Addressing addressing = new S3Addressing(config.region(), config.endpoint(),
                bucket == null || config.pathStyle(), config.accelerate(), config.dualstack());
        return addressing.bucketTarget(bucket == null ? "bucket" : bucket).endpoint();
    }

    private CheckResult bucket(CredentialSource source, TrustManagerFactory trust) {
        NettyTransport transport = NettyTransport.nio();
        EventLoopGroup group = transport.newGroup(1, "bitsbridge-check");
        Supplier<SslContext> ssl = () -> {
            try {
                return TlsContexts.upstream(config.caBundle());
            } catch (IOException | GeneralSecurityException e) {
                throw new IllegalStateException("the CA bundle cannot be used: " + e.getMessage(), e);
            }
        };
        UpstreamClient client = new UpstreamClient(transport.clientChannel(), ssl, timeout, Duration.ofSeconds(5));
        try {
            client.proxyRoutes(config.network().upstreamProxy());
            S3Caller caller = new S3Caller(client, source, new RequestSigner(config.region()), RetryPolicy.standard(0),
                    timeout, "bitsbridge-check");
            S3Addressing addressing = new S3Addressing(config.region(), config.endpoint(), config.pathStyle(),
                    config.accelerate(), config.dualstack());
            return new BucketProbe(caller, group.next(), timeout.plusSeconds(1))
                    .probe(addressing.bucketTarget(config.bucket()), config.bucket(), config.prefix(),
                            config.region());
        } finally {
            client.close();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    static final String STATE_BUCKET = "state bucket";

    /** Scale-out: the state bucket is readable, writable, and refuses a second {@code PUT If-None-Match: *}. */
    private CheckResult stateBucket(TrustManagerFactory trust) {
        String where = "s3://" + config.sharedState().bucket() + "/" + config.sharedState().prefix();
        try (S3SharedState state = S3SharedState.create(config, credentials, trust)) {
            String refused = state.probe();
            return refused == null ? CheckResult.ok(STATE_BUCKET, where + " (read, written, conditional writes honoured)")
                    : CheckResult.fail(STATE_BUCKET, refused);
        } catch (RuntimeException e) {
            return CheckResult.fail(STATE_BUCKET, "the state bucket " + where + " cannot be checked: " + io(e));
        }
    }

    private static String io(Throwable e) {
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.file.FileSystemException fe) {
            return fe.getReason() != null ? fe.getReason() : fe.getClass().getSimpleName();
        }
        return EndpointProbe.reason(e);
    }
}
