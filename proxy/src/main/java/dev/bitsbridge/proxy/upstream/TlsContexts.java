package dev.bitsbridge.proxy.upstream;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * The TLS client context for upstream connections: the JDK's trusted CAs plus, when given, the
 * certificates of a PEM bundle ({@code --ca-bundle}, or {@code AWS_CA_BUNDLE} as the AWS CLI
 * reads it) for endpoints behind a corporate or private CA. Host names are always verified.
 */
public final class TlsContexts {

    private TlsContexts() {
    }

    public static SslContext upstream(Path caBundle) throws IOException, GeneralSecurityException {
        SslContextBuilder b = SslContextBuilder.forClient().endpointIdentificationAlgorithm("HTTPS")
                .sslProvider(provider());
        if (caBundle != null) {
            b.trustManager(trustManagerFactory(caBundle));
        }
        return b.build();
    }

    /** OpenSSL (BoringSSL, from netty-tcnative) where it loads, else the JDK's TLS. */
    public static SslProvider provider() {
        return !Boolean.getBoolean("bitsbridge.jdkTls") && OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    /** The JDK's trusted CAs plus those of {@code caBundle} (also used by the upload client). */
    public static TrustManagerFactory trustManagerFactory(Path caBundle) throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        TrustManagerFactory defaults = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        defaults.init((KeyStore) null);
        int n = 0;
        for (TrustManager tm : defaults.getTrustManagers()) {
            if (tm instanceof X509TrustManager x509) {
                for (X509Certificate c : x509.getAcceptedIssuers()) {
                    ks.setCertificateEntry("jdk-" + n++, c);
                }
            }
        }
        Collection<? extends Certificate> extra;
        try (InputStream in = Files.newInputStream(caBundle)) {
            extra = CertificateFactory.getInstance("X.509").generateCertificates(in);
        }
        if (extra.isEmpty()) {
            throw new GeneralSecurityException("no certificates in CA bundle " + caBundle);
        }
        for (Certificate c : extra) {
            ks.setCertificateEntry("bundle-" + n++, c);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        return tmf;
    }
}
