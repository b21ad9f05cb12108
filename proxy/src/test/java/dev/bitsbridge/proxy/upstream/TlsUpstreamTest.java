package dev.bitsbridge.proxy.upstream;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.matching;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.testing.RawHttp;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import io.netty.handler.ssl.SslProvider;
import java.net.URI;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * TLS to the upstream, as with real S3: a private CA given as {@code --ca-bundle} is trusted, the
 * host name is verified, an untrusted certificate is a 502 that says so; with BoringSSL and with
 * the JDK's TLS. The upstream is WireMock on HTTPS with a certificate made by keytool.
 */
class TlsUpstreamTest {

    @TempDir
    static Path dir;
    static WireMockServer wm;
    static Path caPem;
    static final byte[] DATA = new byte[300_000];

    @BeforeAll
    static void start() throws Exception {
        new Random(4).nextBytes(DATA);
        Path ks = dir.resolve("upstream.p12");
        caPem = dir.resolve("ca.pem");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        run(keytool, "-genkeypair", "-alias", "upstream", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=127.0.0.1",
                "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore", ks.toString(),
                "-storepass", "changeit", "-keypass", "changeit");
        run(keytool, "-exportcert", "-rfc", "-alias", "upstream", "-keystore", ks.toString(), "-storepass", "changeit",
                "-file", caPem.toString());
        wm = new WireMockServer(options().bindAddress("127.0.0.1").httpDisabled(true).dynamicHttpsPort()
                .keystorePath(ks.toString()).keystorePassword("changeit").keyManagerPassword("changeit")
                .keystoreType("PKCS12"));
        wm.start();
        wm.stubFor(get("/b/secure.bin").willReturn(aResponse().withStatus(200).withBody(DATA)
                .withHeader("Content-Length", String.valueOf(DATA.length)).withHeader("ETag", "\"abc\"").withHeader("Last-Modified", "Tue, 01 Apr 2025 10:00:00 GMT")));
    }

    @AfterAll
    static void stop() {
        wm.stop();
    }

    static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), String.join(" ", cmd));
    }

    static BitsBridgeServer proxy(Path ca) throws Exception {
        return new BitsBridgeServer(ProxyConfig.builder().port(0).bucket("b")
                .endpoint(URI.create("https://127.0.0.1:" + wm.httpsPort())).caBundle(ca).build(),
                StaticCredentialsProvider.create(AwsBasicCredentials.create("AKID", "secret"))).start();
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aPrivateCaFromTheBundleIsTrusted(boolean jdkTls) throws Exception {
        System.setProperty("bitsbridge.jdkTls", Boolean.toString(jdkTls));
        try (BitsBridgeServer p = proxy(caPem)) {
            assertEquals(jdkTls ? SslProvider.JDK : SslProvider.OPENSSL, TlsContexts.provider(),
                    "BoringSSL loads on this platform unless the JDK is asked for");
            RawHttp.Response r = RawHttp.exchange(p.port(), RawHttp.get("/secure.bin"));
            assertEquals(200, r.status(), r.toString());
            assertArrayEquals(DATA, r.body());
            RawHttp.Response range = RawHttp.exchange(p.port(), RawHttp.get("/secure.bin", "Range: bytes=1000-1999"));
            assertEquals(206, range.status(), range.toString());
        } finally {
            System.clearProperty("bitsbridge.jdkTls");
        }
        wm.verify(getRequestedFor(urlEqualTo("/b/secure.bin")).withHeader("Authorization", matching("AWS4-HMAC-SHA256 .*")));
    }

    @Test
    void anUntrustedCertificateIs502SayingWhy() throws Exception {
        try (BitsBridgeServer p = proxy(null)) {
            RawHttp.Response r = RawHttp.exchange(p.port(), RawHttp.get("/secure.bin"));
            assertEquals(502, r.status(), r.toString());
            assertTrue(r.text().contains("certification path") || r.text().toLowerCase().contains("certificate"),
                    "the reason is named: " + r.text());
        }
    }
}
