package dev.bitsbridge.proxy.share;

import dev.bitsbridge.proxy.s3.SdkS3Clients;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Spent one-time links recorded in the bucket itself, so proxies that serve the same bucket (and
 * share the signing secret) agree that a link is used up without a database: a marker object
 * {@code .bitsbridge/spent/<link id>} is written with {@code If-None-Match: *} (S3's conditional
 * write: the first proxy creates it, later writes get 412, which is fine), and a proxy that has not
 * seen the link spent itself looks for the marker before serving it.
 *
 * <p>Blocking (the SDK client): call from the ledger's I/O executor only. Thread-safe.
 */
public final class SpentMarkers {

    static final String PREFIX = ".bitsbridge/spent/";

    private final S3Client s3;
    private final String bucket;

    public SpentMarkers(S3Client s3, String bucket) {
        this.s3 = s3;
        this.bucket = bucket;
    }

    boolean isSpent(String fileId) {
        return SdkS3Clients.exists(s3, bucket, PREFIX + fileId);
    }

    void markSpent(String fileId) {
        try {
            s3.putObject(r -> r.bucket(bucket).key(PREFIX + fileId).ifNoneMatch("*").contentType("text/plain"),
                    RequestBody.fromString("spent\n"));
        } catch (S3Exception e) {
            if (e.statusCode() != 412 && e.statusCode() != 409) {
                throw e; // 412/409: another proxy recorded it first
            }
        }
    }
}
