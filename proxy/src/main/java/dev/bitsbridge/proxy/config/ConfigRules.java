package dev.bitsbridge.proxy.config;

import java.net.URI;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Locale;

/**
 * Every rule a {@link ProxyConfig} must satisfy, in one place: the launcher checks them before it
 * starts anything (and maps a failure to exit 2), and the server checks them again when it starts,
 * so a library user gets the same one-line message. Options are named as the command line spells
 * them, since that is how users meet them.
 *
 * <p>Stateless; reads the file system only to check that the CA bundle is readable.
 */
final class ConfigRules {

    /** S3's smallest part (except the last). */
    static final long MIN_PART_SIZE = 5L * 1024 * 1024;

    private ConfigRules() {
    }

    static void check(ProxyConfig c) {
        if (c.port() < 0 || c.port() > 65535) {
            throw bad("--port must be between 0 and 65535, not " + c.port());
        }
        if (c.endpoint() != null && !isHttpUrl(c.endpoint())) {
            throw bad("--endpoint must be an http:// or https:// URL with a host, not " + c.endpoint());
        }
        if (c.bucket() != null && (c.bucket().isEmpty() || c.bucket().contains("/"))) {
            throw bad("--bucket takes the bucket's name only (no s3:// and no key prefix; use --prefix), not "
                    + c.bucket());
        }
        if (c.accelerate()) {
            if (c.endpoint() != null) {
                throw bad("--accelerate cannot be combined with --endpoint");
            }
            if (c.bucket() != null && !BucketNames.isDnsCompatible(c.bucket())) {
                throw bad("--accelerate needs a bucket name without dots: " + c.bucket());
            }
        }
        if (c.caBundle() != null && !Files.isReadable(c.caBundle())) {
            throw bad("the CA bundle " + c.caBundle() + " does not exist or cannot be read");
        }
        if (c.caBundle() != null) {
            caBundleHoldsCertificates(c);
        }
        tls(c.network());
        if (c.stateDir() != null && Files.exists(c.stateDir()) && !Files.isDirectory(c.stateDir())) {
            throw bad("--state-dir " + c.stateDir() + " is a file; it must be a folder (or not exist yet)");
        }
        if (c.urlVendor() != null) {
            if (!isHttpUrl(c.urlVendor())) {
                throw bad("--url-vendor must be an http:// or https:// URL");
            }
            if (c.bucket() != null) {
                throw bad("--url-vendor and --bucket cannot be combined: the vendor decides the bucket");
            }
        }
        for (String h : c.urlVendorHeaders()) {
            if (h.indexOf(':') <= 0) {
                throw bad("--url-vendor-header must look like \"Name: value\"");
            }
        }
        if (c.allowUpload()) {
            if (c.bucket() == null) {
                throw bad("--allow-upload needs --bucket: uploads go to one bucket");
            }
            if (c.stateDir() == null) {
                throw bad("--allow-upload needs a state folder (--state-dir) for upload sessions");
            }
        }
        if (c.uploadPartSize() < MIN_PART_SIZE) {
            throw bad("--upload-part-size must be at least 5M (S3's minimum part size)");
        }
        if (c.uploadParallelism() < 1 || c.uploadParallelism() > 64) {
            throw bad("--upload-parallelism must be between 1 and 64");
        }
        if (c.requireToken() && c.stateDir() == null && !c.sharedState().enabled()) {
            throw bad("--require-token needs a state folder (--state-dir) or --state-bucket for the share-link secret");
        }
        if (c.shareSpentMarkers() && c.bucket() == null) {
            throw bad("--share-spent-markers needs --bucket (the markers are objects in that bucket)");
        }
        positive("--upload-session-ttl", c.uploadSessionTtl());
        positive("--max-connections", c.maxConnections());
        positive("--max-connections-per-client", c.security().maxConnectionsPerClient());
        positive("--max-ranges", c.maxRanges());
        positive("--link-max-age", c.security().linkMaxAge());
        if (c.security().maxLinks() < 0) {
            throw bad("--max-links must be 0 (no limit) or more, not " + c.security().maxLinks());
        }
        positive("--parallel-connections", c.parallelConnections());
        if (c.partSize() < 64 * 1024 || c.readAheadMemory() < 0) {
            throw bad("--part-size must be at least 64K and --read-ahead-memory not negative");
        }
        cache(c.cache());
        positive("--upstream-timeout", c.upstreamTimeout());
        positive("--idle-timeout", c.idleTimeout());
        positive("--request-header-timeout", c.requestHeaderTimeout());
        if (c.drainTimeout() == null || c.drainTimeout().isNegative()) {
            throw bad("--drain-timeout must not be negative");
        }
        if (c.ioThreads() < 0) {
            throw bad("--io-threads must be 0 (one per processor) or more, not " + c.ioThreads());
        }
        if (c.maxUploadSize() < 0) {
            throw bad("--max-upload-size must not be negative");
        }
        if (c.maxUploadSessions() < 0 || c.maxSpoolBytes() < 0 || c.maxFragmentSize() < 0) {
            throw bad("--max-upload-sessions, --max-spool-bytes and --max-fragment-size must be 0 (no limit) or more");
        }
    }

    /**
     * A CA bundle must hold at least one PEM certificate: a key file or a DER file given by mistake
     * would otherwise only fail the first TLS connection, minutes later, with a cryptic reason.
     */
    private static void caBundleHoldsCertificates(ProxyConfig c) {
        try {
            byte[] pem = Files.readAllBytes(c.caBundle());
            String text = new String(pem, java.nio.charset.StandardCharsets.US_ASCII);
            if (!text.contains("-----BEGIN CERTIFICATE-----")) {
                throw bad("the CA bundle " + c.caBundle() + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
                        + (text.contains("PRIVATE KEY") ? "; it looks like a private key" : ""));
            }
            java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificates(new java.io.ByteArrayInputStream(pem));
        } catch (java.io.IOException e) {
            throw bad("the CA bundle " + c.caBundle() + " cannot be read: " + e.getMessage());
        } catch (java.security.cert.CertificateException e) {
            throw bad("the CA bundle " + c.caBundle() + " holds a certificate that cannot be parsed: "
                    + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
        }
    }

    /** Certificate and key come together and must be readable; whether they match is checked on loading. */
    private static void tls(NetworkConfig n) {
        if ((n.tlsCert() == null) != (n.tlsKey() == null)) {
            throw bad("--tls-cert and --tls-key go together: give both (PEM files) or neither");
        }
        if (n.tlsCert() != null) {
            for (java.nio.file.Path f : new java.nio.file.Path[] {n.tlsCert(), n.tlsKey()}) {
                if (!Files.isRegularFile(f) || !Files.isReadable(f)) {
                    throw bad((f == n.tlsCert() ? "--tls-cert " : "--tls-key ") + f
                            + " does not exist or cannot be read");
                }
            }
        }
    }

    private static boolean isHttpUrl(URI u) {
        String s = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        return (s.equals("http") || s.equals("https")) && u.getHost() != null;
    }

    /** The cache needs room for a few slices at once, and slices that split into whole checksum blocks. */
    private static void cache(CacheConfig k) {
        if (!k.enabled()) {
            return;
        }
        int s = k.sliceSize();
        if (s < 64 * 1024 || s > 64 * 1024 * 1024 || Integer.bitCount(s) != 1) {
            throw bad("the cache slice size must be a power of two from 64K to 64M");
        }
        if (k.maxBytes() < 4L * s) {
            throw bad("--cache-size must be at least 4 slices (" + 4L * s / (1024 * 1024) + "M)");
        }
        if (k.validity().isNegative()) {
            throw bad("--cache-validity must not be negative");
        }
        if (k.prefetchSlices() < 0) {
            throw bad("the cache's prefetch must not be negative");
        }
    }

    private static void positive(String name, int v) {
        if (v <= 0) {
            throw bad(name + " must be positive, not " + v);
        }
    }

    private static void positive(String name, Duration d) {
        if (d == null || d.isZero() || d.isNegative()) {
            throw bad(name + " must be longer than zero");
        }
    }

    private static ConfigException bad(String message) {
        return new ConfigException(message);
    }
}
