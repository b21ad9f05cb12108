package dev.bitsbridge.proxy.server;

import dev.bitsbridge.proxy.config.ConfigException;
import dev.bitsbridge.proxy.upstream.TlsContexts;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS listener's certificate and key ({@code --tls-cert}, {@code --tls-key}, PEM): loaded and
 * checked at start (readable, a certificate, a PKCS#8 key, and the key belongs to the certificate:
 * each failure one line naming the file), then watched. {@link #reloadIfChanged()} runs every
 * second; when either file's modification time or size changes, the pair is loaded again and new
 * connections get it; connections already open keep theirs. A pair that fails to load (a
 * certificate replaced before its key) is logged once and the previous one stays in use.
 *
 * <p>Thread-safety: {@link #context()} is read from every event loop (a volatile field);
 * {@link #reloadIfChanged()} runs on one scheduled thread at a time.
 */
final class TlsListener {

    private static final Logger log = LoggerFactory.getLogger(TlsListener.class);

    private final Path certFile;
    private final Path keyFile;
    private volatile SslContext context;
    private String stamp;
    private String failedStamp;

    TlsListener(Path certFile, Path keyFile) {
        this.certFile = certFile;
        this.keyFile = keyFile;
    }

    /** Loads the pair; a problem is a {@link ConfigException} whose message says which file and why. */
    TlsListener load() {
        stamp = stamp();
        context = build(certFile, keyFile);
        log.info("TLS listener: certificate {} ({})", certFile, subject(certFile));
        return this;
    }

    SslContext context() {
        return context;
    }

    /** Loads the files again if they changed since the last load; keeps the old pair if they fail. */
    void reloadIfChanged() {
        String now = stamp();
        if (now.equals(stamp) || now.equals(failedStamp)) {
            return;
        }
        try {
            context = build(certFile, keyFile);
            stamp = now;
            failedStamp = null;
            log.info("TLS listener: reloaded certificate {} ({}); new connections use it", certFile,
                    subject(certFile));
        } catch (ConfigException e) {
            failedStamp = now;
            log.warn("TLS listener: keeping the previous certificate: {}", e.getMessage());
        }
    }

    private String stamp() {
        return stamp(certFile) + "/" + stamp(keyFile);
    }

    private static String stamp(Path f) {
        try {
            FileTime t = Files.getLastModifiedTime(f);
            return t.toMillis() + ":" + Files.size(f);
        } catch (IOException e) {
            return "missing";
        }
    }

    /** Builds the server context after checking each file, so every failure names its file. */
    static SslContext build(Path certFile, Path keyFile) {
        X509Certificate cert = certificate(certFile);
        PrivateKey key = privateKey(keyFile);
        if (!matches(key, cert)) {
            throw new ConfigException("--tls-key " + keyFile + " is not the key of the certificate in --tls-cert "
                    + certFile + ": give the pair that was issued together");
        }
        try {
            return SslContextBuilder.forServer(certFile.toFile(), keyFile.toFile()).sslProvider(TlsContexts.provider())
                    .build();
        } catch (IOException | RuntimeException e) {
            throw new ConfigException("the TLS certificate " + certFile + " and key " + keyFile + " cannot be used: "
                    + firstLine(e.getMessage()));
        }
    }

    private static X509Certificate certificate(Path f) {
        String text = read(f, "--tls-cert");
        if (!text.contains("-----BEGIN CERTIFICATE-----")) {
            throw new ConfigException("--tls-cert " + f + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
                    + (text.contains("PRIVATE KEY") ? "; it looks like the key: swap --tls-cert and --tls-key" : ""));
        }
        try {
            Collection<? extends java.security.cert.Certificate> all = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII)));
            if (all.isEmpty()) {
                throw new ConfigException("--tls-cert " + f + " holds no certificate");
            }
            return (X509Certificate) all.iterator().next();
        } catch (GeneralSecurityException e) {
            throw new ConfigException("--tls-cert " + f + " holds a certificate that cannot be parsed: "
                    + firstLine(e.getMessage()));
        }
    }

    private static PrivateKey privateKey(Path f) {
        String text = read(f, "--tls-key");
        if (text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
            throw new ConfigException("--tls-key " + f + " is encrypted: give it unencrypted"
                    + " (openssl pkcs8 -topk8 -nocrypt -in KEY -out key.pem) and protect the file instead");
        }
        int begin = text.indexOf("-----BEGIN PRIVATE KEY-----");
        int end = text.indexOf("-----END PRIVATE KEY-----");
        if (begin < 0 || end < begin) {
            throw new ConfigException("--tls-key " + f + " holds no PKCS#8 PEM key (-----BEGIN PRIVATE KEY-----)"
                    + (text.contains("BEGIN RSA PRIVATE KEY") || text.contains("BEGIN EC PRIVATE KEY")
                            ? "; convert it with: openssl pkcs8 -topk8 -nocrypt -in KEY -out key.pem"
                            : text.contains("BEGIN CERTIFICATE") ? "; it looks like a certificate" : ""));
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(text.substring(begin + 27, end));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("--tls-key " + f + " is not valid PEM (bad base64)");
        }
        for (String alg : new String[] {"RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS"}) {
            try {
                return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // try the next algorithm
            }
        }
        throw new ConfigException("--tls-key " + f + " holds a key of a kind that cannot be read (RSA, EC and"
                + " Ed25519 can)");
    }

    /** Whether the key signs what the certificate's public key verifies. */
    private static boolean matches(PrivateKey key, X509Certificate cert) {
        String alg = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "RSASSA-PSS" -> null;
            default -> key.getAlgorithm();
        };
        if (alg == null) {
            return true; // left to the TLS provider, which refuses a mismatched pair on its own
        }
        try {
            byte[] probe = "bitsbridge".getBytes(StandardCharsets.US_ASCII);
            Signature s = Signature.getInstance(alg);
            s.initSign(key);
            s.update(probe);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(alg);
            v.initVerify(cert.getPublicKey());
            v.update(probe);
            return v.verify(sig);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static String read(Path f, String option) {
        try {
            return Files.readString(f, StandardCharsets.ISO_8859_1);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new ConfigException(option + " " + f + " does not exist");
        } catch (java.nio.file.AccessDeniedException e) {
            throw new ConfigException(option + " " + f + " cannot be read: permission denied");
        } catch (IOException e) {
            throw new ConfigException(option + " " + f + " cannot be read: " + e.getMessage());
        }
    }

    private static String subject(Path certFile) {
        try {
            X509Certificate c = certificate(certFile);
            return c.getSubjectX500Principal().getName() + ", valid until " + c.getNotAfter().toInstant();
        } catch (ConfigException e) {
            return "unreadable";
        }
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }
}
