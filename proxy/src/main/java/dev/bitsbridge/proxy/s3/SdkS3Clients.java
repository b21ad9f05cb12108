package dev.bitsbridge.proxy.s3;

import dev.bitsbridge.proxy.config.OutboundProxy;
import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.config.ProxyRoutes;
import dev.bitsbridge.proxy.upstream.UpstreamEndpoint;
import javax.net.ssl.TrustManagerFactory;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.ProxyConfiguration;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The AWS SDK's blocking S3 client, configured like the proxy's own download path (region,
 * endpoint, addressing, trust): for control-plane work where a few calls per minute make the SDK
 * the simple choice (uploads, spent-link markers). Downloads, where per-byte cost matters, use the
 * Netty path instead.
 *
 * <p>Threading: static helpers; the clients made are thread-safe and block the calling thread.
 */
public final class SdkS3Clients {

    private SdkS3Clients() {
    }

    /** @param trust null for the JDK's default trust; credentials null for anonymous requests */
    public static S3Client create(ProxyConfig config, AwsCredentialsProvider credentials, TrustManagerFactory trust) {
        UrlConnectionHttpClient.Builder http = UrlConnectionHttpClient.builder()
                .socketTimeout(config.upstreamTimeout().multipliedBy(4))
                .connectionTimeout(config.upstreamTimeout());
        if (trust != null) {
            http.tlsTrustManagersProvider(trust::getTrustManagers);
        }
        http.proxyConfiguration(proxy(config));
        S3ClientBuilder b = S3Client.builder()
                .region(Region.of(config.region()))
                .credentialsProvider(credentials == null ? AnonymousCredentialsProvider.create() : credentials)
                .httpClient(http.build())
                // One addressing rule for both S3 stacks: the download path's (dotted buckets, IP
                // and localhost endpoints go path style).
                .forcePathStyle(new S3Addressing(config.region(), config.endpoint(), config.pathStyle(),
                        config.accelerate(), config.dualstack()).pathStyle(config.bucket()))
                .accelerate(config.accelerate())
                .dualstackEnabled(config.dualstack())
                // Integrity comes from Content-MD5 and the checks of what S3 answers; the SDK's
                // default trailing checksums need aws-chunked encoding.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                // Over http:// the SDK otherwise frames bodies as aws-chunked
                // (STREAMING-AWS4-HMAC-SHA256-PAYLOAD), and servers that do not speak it store the
                // framing as data (s3rver: a 1 MB upload became 1,000,806 bytes). Without it the
                // payload is signed with its SHA-256 and sent as plain bytes, which every S3 API
                // understands; the cost is reading each part once more to hash it.
                .serviceConfiguration(S3Configuration.builder().chunkedEncodingEnabled(false).build());
        if (config.endpoint() != null) {
            b.endpointOverride(config.endpoint());
        }
        return b.build();
    }

    /**
     * The forward proxy for the one endpoint this client talks to (the bucket's), chosen by the
     * same {@link ProxyRoutes} as the download path; the SDK's own reading of the environment and
     * system properties is off, so both stacks always agree (and NO_PROXY means the same).
     */
    static ProxyConfiguration proxy(ProxyConfig config) {
        ProxyConfiguration.Builder p = ProxyConfiguration.builder().useSystemPropertyValues(false)
                .useEnvironmentVariablesValues(false);
        UpstreamEndpoint ep = new S3Addressing(config.region(), config.endpoint(), config.pathStyle(),
                config.accelerate(), config.dualstack()).bucketTarget(config.bucket() == null ? "b" : config.bucket())
                .endpoint();
        OutboundProxy via = config.network().upstreamProxy().route(ep.secure(), ep.host(), ep.port());
        if (via != null) {
            p.endpoint(via.uri());
            if (via.user() != null) {
                p.username(via.user()).password(via.password());
            }
        }
        return p.build();
    }

    /**
     * Whether the object exists, by a HEAD: a 404 is {@code false} (whether or not the SDK maps it
     * to {@link NoSuchKeyException}; HEAD answers carry no error code), any other error is thrown.
     */
    public static boolean exists(S3Client s3, String bucket, String key) {
        return head(s3, bucket, key) != null;
    }

    /** The object's HEAD answer, or null for a 404 (the one place that decides what "absent" is). */
    public static HeadObjectResponse head(S3Client s3, String bucket, String key) {
        try {
            return s3.headObject(r -> r.bucket(bucket).key(key));
        } catch (NoSuchKeyException e) {
            return null;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return null;
            }
            throw e;
        }
    }
}
