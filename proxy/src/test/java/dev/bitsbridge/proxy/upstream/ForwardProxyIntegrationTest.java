package dev.bitsbridge.proxy.upstream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.config.NetworkConfig;
import dev.bitsbridge.proxy.config.OutboundProxy;
import dev.bitsbridge.proxy.config.ProxyRoutes;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.BitsUploadClient;
import dev.bitsbridge.proxy.testing.ProxyFixture;
import dev.bitsbridge.proxy.testing.RawHttp;
import dev.bitsbridge.proxy.testing.Squid;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.WireMock;
import dev.bitsbridge.proxy.config.ProxyConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.core.sync.ResponseTransformer;

/**
 * Upstream requests through a real forward proxy (squid, started here): a download (the Netty
 * path, absolute-form requests to a plain-HTTP S3) and a BITS upload (the SDK's client) both show
 * in squid's access log; NO_PROXY sends them straight to S3. Skipped when squid is not installed.
 */
class ForwardProxyIntegrationTest {

    static final byte[] DATA = random(3 * 1024 * 1024 + 5, 7);

    @RegisterExtension
    static final ProxyFixture fx = ProxyFixture.builder().bucket("files").object("a.bin", DATA).withoutProxy()
            .build();

    static Squid squid;

    @BeforeAll
    static void startSquid() throws Exception {
        Assumptions.assumeTrue(Squid.available(), "squid is not installed (/usr/sbin/squid): skipped");
        squid = new Squid(List.of());
    }

    @AfterAll
    static void stopSquid() throws Exception {
        if (squid != null) {
            squid.close();
        }
    }

    static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    BitsBridgeServer proxyVia(List<String> noProxy) throws Exception {
        ProxyRoutes routes = ProxyRoutes.of(OutboundProxy.parse(squid.url(), "--upstream-proxy"), noProxy);
        return fx.startProxy(b -> b.stateDir(newDir()).allowUpload(true)
                .network(NetworkConfig.DEFAULTS.withUpstreamProxy(routes)));
    }

    private static java.nio.file.Path newDir() {
        try {
            return fx.newDir();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    String s3HostPort() {
        return fx.s3().endpoint().getHost() + ":" + fx.s3().endpoint().getPort();
    }

    @Test
    void downloadAndUploadGoThroughTheProxy() throws Exception {
        BitsBridgeServer p = proxyVia(List.of());
        int before = (int) squid.accessLog().lines().count();
        RawHttp.Response r = RawHttp.exchange(p.port(), RawHttp.get("/a.bin"));
        assertEquals(200, r.status(), r.toString());
        assertArrayEquals(DATA, r.body());
        String log = squid.accessLog(before + 1, Duration.ofSeconds(5));
        assertTrue(log.contains("GET http://" + s3HostPort() + "/files/a.bin"), log);

        byte[] up = random(1024 * 1024 + 3, 9);
        try (BitsUploadClient c = new BitsUploadClient(p.port())) {
            assertEquals(200, c.upload("/in/up.bin", up, 256 * 1024).status());
        }
        assertArrayEquals(up, fx.s3().client().getObject(x -> x.bucket("files").key("in/up.bin"),
                ResponseTransformer.toBytes()).asByteArray());
        log = squid.accessLog();
        assertTrue(log.contains("PUT http://" + s3HostPort() + "/files/in/up.bin"), log);
    }

    /** WireMock over TLS with a keytool certificate (its CA written to {@code dir/ca.pem}), serving /b/tunnel.bin. */
    static WireMockServer httpsUpstream(Path dir) throws Exception {
        Path ks = dir.resolve("upstream.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        TlsUpstreamTest.run(keytool, "-genkeypair", "-alias", "upstream", "-keyalg", "EC", "-dname", "CN=127.0.0.1",
                "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore", ks.toString(),
                "-storepass", "changeit", "-keypass", "changeit");
        TlsUpstreamTest.run(keytool, "-exportcert", "-rfc", "-alias", "upstream", "-keystore", ks.toString(),
                "-storepass", "changeit", "-file", dir.resolve("ca.pem").toString());
        WireMockServer wm = new WireMockServer(options().bindAddress("127.0.0.1").httpDisabled(true)
                .dynamicHttpsPort().keystorePath(ks.toString()).keystorePassword("changeit")
                .keyManagerPassword("changeit").keystoreType("PKCS12"));
        wm.start();
        wm.stubFor(WireMock.get("/b/tunnel.bin").willReturn(WireMock.aResponse().withStatus(200).withBody(DATA)
                .withHeader("Content-Length", String.valueOf(DATA.length))
                .withHeader("ETag", "\"t1\"").withHeader("Last-Modified", "Tue, 01 Apr 2025 10:00:00 GMT")));
        return wm;
    }

    static BitsBridgeServer tunnelled(WireMockServer wm, Path ca, String proxyUrl) throws Exception {
        ProxyRoutes routes = ProxyRoutes.of(OutboundProxy.parse(proxyUrl, "--upstream-proxy"), List.of());
        return new BitsBridgeServer(ProxyConfig.builder().port(0).bucket("b")
                .endpoint(URI.create("https://127.0.0.1:" + wm.httpsPort())).caBundle(ca)
                .network(NetworkConfig.DEFAULTS.withUpstreamProxy(routes)).build(),
                StaticCredentialsProvider.create(AwsBasicCredentials.create("AKID", "secret"))).start();
    }

    /** An https upstream is reached through a CONNECT tunnel. */
    @Test
    void anHttpsUpstreamIsReachedThroughConnect(@TempDir Path dir) throws Exception {
        WireMockServer wm = httpsUpstream(dir);
        try (BitsBridgeServer p = tunnelled(wm, dir.resolve("ca.pem"), squid.url())) {
            int before = (int) squid.accessLog().lines().count();
            RawHttp.Response r = RawHttp.exchange(p.port(), RawHttp.get("/tunnel.bin"));
            assertEquals(200, r.status(), r.toString());
            assertArrayEquals(DATA, r.body());
            p.stop(Duration.ZERO); // the tunnel is logged when it closes
            String log = squid.accessLog(before + 1, Duration.ofSeconds(10));
            assertTrue(log.contains("CONNECT 127.0.0.1:" + wm.httpsPort()), log);
        } finally {
            wm.stop();
        }
    }

    /**
     * A proxy that wants Basic credentials (squid with its NCSA helper): the user and password of
     * the proxy URL (percent-encoded ':' and '@' in the password) open the CONNECT tunnel, the
     * absolute-form download and the SDK's upload; a wrong password is a 502 that names the 407.
     */
    @Test
    void proxyCredentialsAreSentToTheProxy(@TempDir Path dir) throws Exception {
        Path helper = Path.of("/usr/lib/squid/basic_ncsa_auth");
        Assumptions.assumeTrue(java.nio.file.Files.isExecutable(helper), "squid's basic_ncsa_auth is absent: skipped");
        Path passwd = java.nio.file.Files.writeString(dir.resolve("passwd"),
                "alice:$apr1$bb17salt$h.sEqGd5p6aWDIwJX400Z0\n"); // openssl passwd -apr1 'pr0xy:p@ss'
        dir.toFile().setExecutable(true, false);
        passwd.toFile().setReadable(true, false);
        try (Squid auth = new Squid(List.of("auth_param basic program " + helper + " " + passwd,
                "auth_param basic realm bitsbridge-test", "acl authed proxy_auth REQUIRED",
                "http_access deny !authed"))) {
            String good = "http://alice:pr0xy%3Ap%40ss@127.0.0.1:" + auth.port();
            ProxyRoutes routes = ProxyRoutes.of(OutboundProxy.parse(good, "--upstream-proxy"), List.of());
            BitsBridgeServer p = fx.startProxy(b -> b.stateDir(newDir()).allowUpload(true)
                    .network(NetworkConfig.DEFAULTS.withUpstreamProxy(routes)));
            RawHttp.Response r = RawHttp.exchange(p.port(), RawHttp.get("/a.bin"));
            assertEquals(200, r.status(), r.toString());
            assertArrayEquals(DATA, r.body());
            try (BitsUploadClient c = new BitsUploadClient(p.port())) {
                assertEquals(200, c.upload("/in/authed.bin", new byte[70_000], 64 * 1024).status());
            }
            WireMockServer wm = httpsUpstream(dir);
            int wmPort = wm.httpsPort();
            try {
                try (BitsBridgeServer t = tunnelled(wm, dir.resolve("ca.pem"), good)) {
                    RawHttp.Response tr = RawHttp.exchange(t.port(), RawHttp.get("/tunnel.bin"));
                    assertEquals(200, tr.status(), tr.toString());
                    assertArrayEquals(DATA, tr.body());
                }
                try (BitsBridgeServer bad = tunnelled(wm, dir.resolve("ca.pem"),
                        "http://alice:wrong@127.0.0.1:" + auth.port())) {
                    RawHttp.Response br = RawHttp.exchange(bad.port(), RawHttp.get("/tunnel.bin"));
                    assertEquals(502, br.status(), br.toString());
                    assertTrue(br.text().contains("407"), br.text());
                    assertTrue(!br.text().contains("wrong"), "the password is never shown: " + br.text());
                }
            } finally {
                wm.stop();
            }
            String log = auth.accessLog(3, Duration.ofSeconds(10));
            assertTrue(log.contains("GET http://" + s3HostPort() + "/files/a.bin") && log.contains(" alice "), log);
            assertTrue(log.contains("PUT http://" + s3HostPort() + "/files/in/authed.bin"), log);
            assertTrue(log.contains("CONNECT 127.0.0.1:" + wmPort), log);
        }
    }

    /** Vendor mode: the vendor's backend and the presigned URLs it hands out are both fetched through the proxy. */
    @Test
    void theUrlVendorAndItsUrlsGoThroughTheProxy() throws Exception {
        software.amazon.awssdk.services.s3.presigner.S3Presigner presigner =
                software.amazon.awssdk.services.s3.presigner.S3Presigner.builder()
                        .endpointOverride(fx.s3().endpoint()).region(software.amazon.awssdk.regions.Region.US_EAST_1)
                        .credentialsProvider(fx.s3().credentials())
                        .serviceConfiguration(software.amazon.awssdk.services.s3.S3Configuration.builder()
                                .pathStyleAccessEnabled(true).build()).build();
        com.sun.net.httpserver.HttpServer vendor = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        vendor.createContext("/presign", ex -> {
            boolean head = ex.getRequestURI().getRawQuery().contains("method=HEAD");
            String url = head
                    ? presigner.presignHeadObject(r -> r.signatureDuration(Duration.ofMinutes(10))
                            .headObjectRequest(h -> h.bucket("files").key("a.bin"))).url().toString()
                    : presigner.presignGetObject(r -> r.signatureDuration(Duration.ofMinutes(10))
                            .getObjectRequest(g -> g.bucket("files").key("a.bin"))).url().toString();
            byte[] body = ("{\"url\":\"" + url + "\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        vendor.start();
        ProxyRoutes routes = ProxyRoutes.of(OutboundProxy.parse(squid.url(), "--upstream-proxy"), List.of());
        try (BitsBridgeServer p = new BitsBridgeServer(ProxyConfig.builder().port(0)
                .urlVendor(URI.create("http://127.0.0.1:" + vendor.getAddress().getPort() + "/presign"))
                .allowUpstream(List.of("127.0.0.1:" + fx.s3().endpoint().getPort()))
                .network(NetworkConfig.DEFAULTS.withUpstreamProxy(routes)).build(), null).start()) {
            String s3Line = "GET http://" + s3HostPort() + "/files/a.bin";
            long before = squid.accessLog().lines().filter(l -> l.contains(s3Line)).count();
            RawHttp.Response r = RawHttp.exchange(p.port(), RawHttp.get("/a.bin"));
            assertEquals(200, r.status(), r.toString());
            assertArrayEquals(DATA, r.body());
            String log = squid.accessLog();
            assertTrue(log.contains("GET http://127.0.0.1:" + vendor.getAddress().getPort() + "/presign"), log);
            assertTrue(log.lines().filter(l -> l.contains(s3Line)).count() > before, "the presigned GET: " + log);
        } finally {
            vendor.stop(0);
            presigner.close();
        }
    }

    @Test
    void noProxyGoesStraightToS3() throws Exception {
        BitsBridgeServer p = proxyVia(List.of(fx.s3().endpoint().getHost()));
        String before = squid.accessLog();
        RawHttp.Response r = RawHttp.exchange(p.port(), RawHttp.get("/a.bin"));
        assertEquals(200, r.status());
        assertArrayEquals(DATA, r.body());
        byte[] up = random(100_000, 3);
        try (BitsUploadClient c = new BitsUploadClient(p.port())) {
            assertEquals(200, c.upload("/in/direct.bin", up, 64 * 1024).status());
        }
        Thread.sleep(200); // squid logs a request when it ends: give a stray one time to show
        assertEquals(before, squid.accessLog(), "nothing went through squid");
    }
}
