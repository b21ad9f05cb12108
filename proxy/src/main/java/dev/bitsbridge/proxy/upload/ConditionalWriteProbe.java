package dev.bitsbridge.proxy.upload;

import dev.bitsbridge.proxy.s3.S3Location;
import dev.bitsbridge.proxy.upload.UpstreamFailures.During;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Finds out whether the endpoint honours conditional writes ({@code If-None-Match: *} on PUT), on
 * which exactly-once uploads rest: S3 does, but some S3-compatible servers ignore the header and
 * overwrite (s3rver 3.7.1). It PUTs a probe object under {@code <prefix>.bitsbridge/probe/<random>}
 * twice with the header: a 412 (or 409) the second time means honoured; a 200 means ignored; a
 * 501/400 to the header means not supported. The probe object is deleted after. The answer is
 * kept for the life of the process; a transient failure (network, 5xx) is not kept, so the next
 * upload asks again.
 *
 * <p>Threading: {@link #check} blocks (S3 calls) and is synchronized, so concurrent first uploads
 * probe once; {@link #status} may be read from any thread.
 */
final class ConditionalWriteProbe {

    private static final Logger log = LoggerFactory.getLogger(ConditionalWriteProbe.class);

    enum Result {
        UNKNOWN,
        HONOURED,
        IGNORED
    }

    private final S3Uploader s3;
    private final String bucket;
    private final String prefix;
    private volatile Result result = Result.UNKNOWN;
    private volatile String detail = "not checked yet";

    ConditionalWriteProbe(S3Uploader s3, String bucket, String prefix) {
        this.s3 = s3;
        this.bucket = bucket;
        this.prefix = prefix == null ? "" : prefix;
    }

    /** The answer, probing the endpoint if it is not known yet; throws {@link During} on an S3 failure. */
    synchronized Result check() {
        if (result != Result.UNKNOWN) {
            return result;
        }
        S3Location probe = new S3Location(bucket, prefix + ".bitsbridge/probe/" + UUID.randomUUID());
        byte[] body = "bitsbridge conditional-write probe\n".getBytes(StandardCharsets.US_ASCII);
        try {
            try {
                PartPipeline.call("PutObject (conditional-write probe)", () -> s3.put(probe, body, true));
            } catch (During d) {
                if (unsupported(d.cause)) {
                    return decided(Result.IGNORED, "the endpoint refuses PutObject with If-None-Match: * ("
                            + UpstreamFailures.describe(d.cause) + ")");
                }
                throw d;
            }
            try {
                PartPipeline.call("PutObject (conditional-write probe)", () -> s3.put(probe, body, true));
                return decided(Result.IGNORED, "the endpoint ignores If-None-Match: * (a second conditional PUT of"
                        + " an existing object was accepted), so it would overwrite objects silently");
            } catch (During d) {
                if (d.cause instanceof S3Exception e && (e.statusCode() == 412 || e.statusCode() == 409)) {
                    return decided(Result.HONOURED, "the endpoint honours If-None-Match: * (" + e.statusCode() + ")");
                }
                if (unsupported(d.cause)) {
                    return decided(Result.IGNORED, "the endpoint refuses a conditional PUT of an existing object"
                            + " with " + UpstreamFailures.describe(d.cause) + " instead of 412");
                }
                throw d;
            }
        } finally {
            try {
                s3.delete(probe);
            } catch (SdkException e) {
                log.warn("could not delete the probe object {}: {}", probe.key(), UpstreamFailures.describe(e));
            }
        }
    }

    /** {@link #check} for a background thread: a failure is logged, and the next upload asks again. */
    void checkQuietly() {
        try {
            check();
        } catch (RuntimeException e) {
            log.warn("conditional-write probe failed; it runs again with the next upload: {}", e.getMessage());
        }
    }

    private static boolean unsupported(SdkException e) {
        return e instanceof S3Exception s && (s.statusCode() == 501 || s.statusCode() == 400);
    }

    private Result decided(Result r, String why) {
        result = r;
        detail = why;
        if (r == Result.HONOURED) {
            log.info("conditional writes: {}; uploads are exactly-once", why);
        } else {
            log.warn("conditional writes: {}", why);
        }
        return r;
    }

    Result result() {
        return result;
    }

    /** One line for the log and /_bitsbridge/ready. */
    String status() {
        return switch (result) {
            case UNKNOWN -> "unknown (" + detail + ")";
            case HONOURED -> "honoured: " + detail;
            case IGNORED -> "not honoured: " + detail;
        };
    }
}
