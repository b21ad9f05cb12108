package dev.bitsbridge.proxy.s3;

import dev.bitsbridge.proxy.config.ProxyConfig;
import javax.net.ssl.TrustManagerFactory;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The AWS SDK's blocking S3 client, configured like the proxy's own download path (region,
 * endpoint, addressing, trust): for control-plane work where a few calls per minute make the SDK
 * the simple choice (uploads, spent-link markers). Downloads, where per-byte cost matters, use the
 * Netty path instead.
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
        S3ClientBuilder b = S3Client.builder()
                .region(Region.of(config.region()))
                .credentialsProvider(credentials == null ? AnonymousCredentialsProvider.create() : credentials)
                .httpClient(http.build())
                .forcePathStyle(config.pathStyle() || config.endpoint() != null && isIp(config.endpoint().getHost()))
                .accelerate(config.accelerate())
                .dualstackEnabled(config.dualstack())
                // Integrity comes from Content-MD5; the SDK's default trailing checksums need
                // aws-chunked encoding, which not every S3-compatible server speaks.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        if (config.endpoint() != null) {
            b.endpointOverride(config.endpoint());
        }
        return b.build();
    }

    /**
     * Whether the object exists, by a HEAD: a 404 is {@code false} (whether or not the SDK maps it
     * to {@link NoSuchKeyException}; HEAD answers carry no error code), any other error is thrown.
     */
    public static boolean exists(S3Client s3, String bucket, String key) {
        try {
            s3.headObject(r -> r.bucket(bucket).key(key));
            return true;
        } catch (NoSuchKeyException e) {
            return false;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw e;
        }
    }

    private static boolean isIp(String host) {
        return host != null && (host.equals("localhost") || host.chars().allMatch(c -> Character.isDigit(c) || c == '.')
                || host.indexOf(':') >= 0);
    }
}
