package dev.bitsbridge.proxy.upload;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * What an S3 failure during an upload means for the BITS client, which retries every 5xx for its
 * whole retry period (days) and gives up on 4xx: a refusal that will not change on retry must be
 * a 4xx, or the job spins. Permanent: any 4xx from S3 except 408 and 429, and 405/501 (the
 * endpoint does not implement the operation). Transient (5xx, the client retries): 408, 429, other
 * 5xx, and failures without an answer (network, timeouts). The message names the operation and
 * S3's status and error code. Stateless; thread-safe.
 */
final class UpstreamFailures {

    private static final Logger log = LoggerFactory.getLogger(UpstreamFailures.class);

    private UpstreamFailures() {
    }

    /** Whether retrying cannot help: the endpoint refused this operation for good. */
    static boolean permanent(SdkException e) {
        if (!(e instanceof S3Exception s3e)) {
            return false;
        }
        int status = s3e.statusCode();
        return status == 501 || status >= 400 && status < 500 && status != 408 && status != 429;
    }

    /** "405 MethodNotAllowed" or, without an answer, the exception's kind. */
    static String describe(SdkException e) {
        if (e instanceof S3Exception s3e) {
            String code = s3e.awsErrorDetails() == null ? null : s3e.awsErrorDetails().errorCode();
            return s3e.statusCode() + (code == null || code.isEmpty() ? "" : " " + code);
        }
        return e.getClass().getSimpleName();
    }

    /** The answer to the client for a failure of {@code operation} (e.g. "ListParts"). */
    static Reply reply(String operation, SdkException e) {
        String what = describe(e);
        if (permanent(e)) {
            log.warn("S3 refused {} during an upload: {} (permanent; the client is told not to retry)", operation, what);
            if (e instanceof S3Exception s3e && s3e.statusCode() == 403) {
                return Reply.fail(BitsError.ACCESS_DENIED, "S3 denied " + operation + ": " + what);
            }
            return Reply.fail(BitsError.UPSTREAM_REFUSED, "S3 refused " + operation + ": " + what
                    + " (a permanent refusal: retrying will not help)");
        }
        log.warn("S3 failed {} during an upload: {} (transient; the client retries)", operation, what);
        return Reply.fail(BitsError.UPSTREAM, "S3 failed " + operation + ": " + what + "; retry");
    }

    /** Marks which S3 operation an exception came from, for {@link #reply}. */
    static final class During extends RuntimeException {
        final String operation;
        final SdkException cause;

        During(String operation, SdkException cause) {
            super(operation + ": " + cause.getMessage(), cause, false, false);
            this.operation = operation;
            this.cause = cause;
        }
    }
}
