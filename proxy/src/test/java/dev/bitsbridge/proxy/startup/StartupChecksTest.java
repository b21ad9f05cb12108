package dev.bitsbridge.proxy.startup;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.startup.CheckResult.Status;
import dev.bitsbridge.proxy.testing.ProxyFixture;
import dev.bitsbridge.proxy.testing.S3Server;
import dev.bitsbridge.proxy.testing.TlsPair;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * The start-up checks against s3proxy (which checks signatures): a good setup passes; each broken
 * part (bucket, access key, secret, port, host name, CA file, certificate trust, state folder) is
 * one failure whose line says what happened and what to do, and the checks after it are skipped.
 */
class StartupChecksTest {

    @RegisterExtension
    static final ProxyFixture fx = ProxyFixture.builder().bucket("files").object("a.txt", new byte[] {1})
            .withoutProxy().build();

    @TempDir
    Path dir;

    Report run(UnaryOperator<ProxyConfig.Builder> tweak, AwsCredentialsProvider creds) {
        ProxyConfig c = tweak.apply(ProxyConfig.builder().bucket("files").endpoint(fx.s3().endpoint())
                .stateDir(dir.resolve("state"))).build();
        return new StartupChecks(c, creds, Duration.ofSeconds(5)).run();
    }

    Report run(UnaryOperator<ProxyConfig.Builder> tweak) {
        return run(tweak, fx.s3().credentials());
    }

    static CheckResult only(Report r) {
        CheckResult f = r.firstFailure();
        assertTrue(f != null, "a failure: " + r.lines());
        assertEquals(1, f.detail().lines().count(), "one line");
        return f;
    }

    @Test
    void aGoodSetupPasses() {
        Report r = run(b -> b);
        assertTrue(r.passed(), String.join("\n", r.lines()));
        assertNull(r.firstFailure());
        assertEquals(5, r.results().size());
        assertTrue(r.results().stream().allMatch(c -> c.status() == Status.OK), r.lines().toString());
        assertTrue(r.lines().get(4).contains("s3://files exists and can be listed"), r.lines().get(4));
        assertTrue(Files.isDirectory(dir.resolve("state")), "the state folder was made");
    }

    /** Scale-out: the state bucket is written, read and checked for conditional writes. */
    @Test
    void theStateBucketIsCheckedInSharedMode() {
        Report good = run(b -> b.sharedState(dev.bitsbridge.proxy.config.SharedStateConfig.OFF.withBucket("files")));
        assertTrue(good.passed(), good.lines().toString());
        assertEquals(6, good.results().size());
        assertTrue(good.lines().get(5).contains("s3://files/.bitsbridge/state/ (read, written, conditional writes"
                + " honoured)"), good.lines().get(5));
        CheckResult f = only(run(b -> b.sharedState(dev.bitsbridge.proxy.config.SharedStateConfig.OFF
                .withBucket("no-such-state"))));
        assertEquals("state bucket", f.name());
        assertTrue(f.detail().startsWith("the state bucket s3://no-such-state/.bitsbridge/state/ cannot be written"
                + " (404 NoSuchBucket)"), f.detail());
    }

    @Test
    void theListingIsUnderThePrefixServed() {
        Report r = run(b -> b.prefix("releases/2026 q1"));
        assertTrue(r.passed(), r.lines().toString());
    }

    @Test
    void aMissingBucketIsNamed() {
        CheckResult f = only(run(b -> b.bucket("no-such-bucket")));
        assertEquals("bucket", f.name());
        assertTrue(f.detail().startsWith("s3://no-such-bucket does not exist"), f.detail());
    }

    @Test
    void wrongCredentialsAreNamed() {
        CheckResult secret = only(run(b -> b, StaticCredentialsProvider.create(
                AwsBasicCredentials.create(S3Server.ACCESS_KEY, "not-the-secret"))));
        assertTrue(secret.detail().contains("SignatureDoesNotMatch") && secret.detail().contains("secret key"),
                secret.detail());
        assertTrue(!secret.detail().contains("not-the-secret"), "the secret is never shown");
        CheckResult key = only(run(b -> b, StaticCredentialsProvider.create(
                AwsBasicCredentials.create("AKIDUNKNOWN", "x"))));
        assertTrue(key.detail().contains("does not know the access key") || key.detail().contains("refused"),
                key.detail());
    }

    @Test
    void noCredentialsAtAllSaysWhereTheyAreLookedFor() {
        CheckResult f = only(run(b -> b, () -> {
            throw software.amazon.awssdk.core.exception.SdkClientException.create(
                    "Unable to load credentials from any of the providers in the chain AwsCredentialsProviderChain(x)");
        }));
        assertEquals("credentials", f.name());
        assertTrue(f.detail().contains("aws configure") && f.detail().contains("--profile"), f.detail());
    }

    @Test
    void anUnreachablePortIsNamed() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            closed = s.getLocalPort();
        }
        Report r = run(b -> b.endpoint(URI.create("http://127.0.0.1:" + closed)));
        CheckResult f = only(r);
        assertEquals("endpoint", f.name());
        assertTrue(f.detail().startsWith("cannot connect to 127.0.0.1:" + closed), f.detail());
        assertEquals(Status.SKIPPED, r.results().get(4).status(), "the bucket is not checked then");
    }

    @Test
    void anUnknownHostSaysSo() {
        CheckResult f = only(run(b -> b.endpoint(URI.create("http://no-such-host.invalid:9000")).pathStyle(true)));
        assertTrue(f.detail().startsWith("unknown host no-such-host.invalid: check --endpoint"), f.detail());
        CheckResult virtual = only(run(b -> b.endpoint(URI.create("http://no-such-host.invalid:9000"))));
        assertTrue(virtual.detail().startsWith("unknown host files.no-such-host.invalid: the bucket is part of"),
                virtual.detail());
        assertTrue(virtual.detail().endsWith("add --path-style"), virtual.detail());
    }

    @Test
    void aBadCaFileIsNamed() throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        CheckResult f = only(run(b -> b.caBundle(bad)));
        assertEquals("CA bundle", f.name());
        assertTrue(f.detail().startsWith("the CA bundle " + bad + " cannot be used") && f.detail().contains("--ca-bundle"),
                f.detail());
    }

    @Test
    void anUntrustedCertificateHintsCaBundleAndATrustedOnePasses() throws Exception {
        TlsPair pair = TlsPair.generate(dir, "upstream");
        WireMockServer wm = new WireMockServer(options().bindAddress("127.0.0.1").httpDisabled(true).dynamicHttpsPort()
                .keystorePath(dir.resolve("upstream.p12").toString()).keystorePassword("changeit")
                .keyManagerPassword("changeit").keystoreType("PKCS12"));
        wm.start();
        try {
            URI https = URI.create("https://127.0.0.1:" + wm.httpsPort());
            CheckResult f = only(run(b -> b.endpoint(https)));
            assertTrue(f.detail().startsWith("the certificate of 127.0.0.1 is not trusted (issued by upstream)"),
                    f.detail());
            assertTrue(f.detail().contains("--ca-bundle"), f.detail());
            Report trusted = run(b -> b.endpoint(https).caBundle(pair.cert()).bucket(null));
            assertTrue(trusted.passed(), trusted.lines().toString());
            assertTrue(trusted.lines().get(3).contains("certificate trusted"), trusted.lines().get(3));
        } finally {
            wm.stop();
        }
    }

    @Test
    void aStateFolderThatCannotBeMadeIsNamed() throws Exception {
        Path file = Files.writeString(dir.resolve("afile"), "x");
        CheckResult f = only(run(b -> b.stateDir(file.resolve("sub"))));
        assertEquals("state folder", f.name());
        assertTrue(f.detail().contains("--state-dir"), f.detail());
    }
}
