package dev.bitsbridge.proxy.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.config.ConfigException;
import dev.bitsbridge.proxy.config.NetworkConfig;
import dev.bitsbridge.proxy.testing.Await;
import dev.bitsbridge.proxy.testing.ProxyFixture;
import dev.bitsbridge.proxy.testing.TlsPair;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Random;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TLS listener ({@code --tls-cert}/{@code --tls-key}): byte-exact downloads over https with a
 * certificate made by keytool; a replaced certificate is what the next connection sees, without a
 * restart; unusable files fail start with one line naming the file.
 */
class TlsListenerTest {

    static final byte[] DATA = new byte[2 * 1024 * 1024 + 11];

    static {
        new Random(17).nextBytes(DATA);
    }

    @RegisterExtension
    static final ProxyFixture fx = ProxyFixture.builder().bucket("files").object("dir/a.bin", DATA).withoutProxy()
            .build();

    @TempDir
    Path dir;

    BitsBridgeServer tlsProxy(Path cert, Path key) throws Exception {
        return fx.startProxy(b -> b.network(NetworkConfig.DEFAULTS.withTls(cert, key)));
    }

    @Test
    void downloadsAreByteExactOverHttps() throws Exception {
        TlsPair pair = TlsPair.generate(dir, "first");
        BitsBridgeServer p = tlsProxy(pair.cert(), pair.key());
        HttpClient client = HttpClient.newBuilder().sslContext(pair.clientContext()).build();
        HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + p.port()
                + "/dir/a.bin")).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode());
        assertArrayEquals(DATA, r.body());
        HttpResponse<byte[]> range = client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + p.port()
                + "/dir/a.bin")).header("Range", "bytes=100-199").build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(206, range.statusCode());
        assertEquals("bytes 100-199/" + DATA.length, range.headers().firstValue("Content-Range").orElse(""));
        assertArrayEquals(java.util.Arrays.copyOfRange(DATA, 100, 200), range.body());
    }

    @Test
    void aReplacedCertificateServesNewConnections() throws Exception {
        TlsPair first = TlsPair.generate(dir, "first");
        Path cert = Files.copy(first.cert(), dir.resolve("live.pem"));
        Path key = Files.copy(first.key(), dir.resolve("live-key.pem"));
        BitsBridgeServer p = tlsProxy(cert, key);
        assertEquals(first.certificate().getSerialNumber(), servedSerial(p.port()));

        TlsPair second = TlsPair.generate(dir, "second");
        // As a renewal agent does: the key, then the certificate, each replaced atomically.
        Files.move(Files.copy(second.key(), dir.resolve("tmp-key")), key, StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
        Files.move(Files.copy(second.cert(), dir.resolve("tmp-cert")), cert, StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
        BigInteger want = second.certificate().getSerialNumber();
        Await.until(Duration.ofSeconds(10), () -> want.equals(servedSerial(p.port())),
                () -> "the new certificate is served");
        // And it works end to end with a client that trusts only the new certificate.
        HttpResponse<byte[]> r = HttpClient.newBuilder().sslContext(second.clientContext()).build().send(
                HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + p.port() + "/dir/a.bin")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertArrayEquals(DATA, r.body());
    }

    @Test
    void unusableFilesFailStartWithOneLineNamingTheFile() throws Exception {
        TlsPair a = TlsPair.generate(dir, "a");
        TlsPair b = TlsPair.generate(dir, "b");
        ConfigException mismatch = assertThrows(ConfigException.class, () -> tlsProxy(a.cert(), b.key()));
        assertTrue(mismatch.getMessage().contains("is not the key of the certificate"), mismatch.getMessage());
        ConfigException swapped = assertThrows(ConfigException.class, () -> tlsProxy(a.key(), a.cert()));
        assertTrue(swapped.getMessage().startsWith("--tls-cert " + a.key()), swapped.getMessage());
        assertTrue(swapped.getMessage().contains("swap --tls-cert and --tls-key"), swapped.getMessage());
        Path rsa = Files.writeString(dir.resolve("pkcs1.pem"), "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n"
                + "-----END RSA PRIVATE KEY-----\n");
        ConfigException pkcs1 = assertThrows(ConfigException.class, () -> tlsProxy(a.cert(), rsa));
        assertTrue(pkcs1.getMessage().contains("openssl pkcs8 -topk8 -nocrypt"), pkcs1.getMessage());
        ConfigException missing = assertThrows(ConfigException.class,
                () -> tlsProxy(a.cert(), dir.resolve("nope.pem")));
        assertEquals("--tls-key " + dir.resolve("nope.pem") + " does not exist or cannot be read",
                missing.getMessage());
        for (ConfigException e : new ConfigException[] {mismatch, swapped, pkcs1, missing}) {
            assertEquals(1, e.getMessage().lines().count());
        }
    }

    /** The serial number of the certificate a new connection is shown (trusting anything). */
    static BigInteger servedSerial(int port) throws Exception {
        SSLContext any = SSLContext.getInstance("TLS");
        any.init(null, new TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        try (SSLSocket s = (SSLSocket) any.getSocketFactory().createSocket("127.0.0.1", port)) {
            s.startHandshake();
            s.getOutputStream().write("HEAD /dir/a.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                    .getBytes());
            InputStream in = s.getInputStream();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            assertTrue(out.toString().startsWith("HTTP/1.1 200"), out.toString());
            return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber();
        }
    }
}
