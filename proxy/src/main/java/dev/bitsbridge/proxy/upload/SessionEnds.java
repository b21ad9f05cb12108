package dev.bitsbridge.proxy.upload;

import dev.bitsbridge.proxy.upload.PartPipeline.NotVerified;
import dev.bitsbridge.proxy.upload.UpstreamFailures.During;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * How a session's steps end: their failures turned into the answers BITS gets (one place, so every
 * packet type answers a failure alike), and the ends of a session: failed for good (its part
 * uploads stopped, the multipart upload aborted, every later packet told the same), cancelled or
 * expired (state and spool removed).
 *
 * <p>Every method is called with the session locked, on an upload thread; stopping the part
 * uploads waits for those in flight (lock released meanwhile).
 */
final class SessionEnds {

    private static final Logger log = LoggerFactory.getLogger(SessionEnds.class);

    private final UploadSessionStore store;
    private final S3Uploader s3;
    private final PartUploader uploader;

    SessionEnds(UploadSessionStore store, S3Uploader s3, PartUploader uploader) {
        this.store = store;
        this.s3 = s3;
        this.uploader = uploader;
    }

    /** What a packet for a session that is no longer open is told. */
    static Reply ended(UploadSession s) {
        return switch (s.state()) {
            case COMPLETED -> Replies.ack(s, s.total(), true);
            case FAILED -> Reply.fail(s.failure(), s.failureMessage());
            case CANCELLED -> Reply.fail(BitsError.SESSION_NOT_FOUND, "the session was cancelled");
            case OPEN -> Reply.fail(BitsError.INTERNAL, "the session is being cancelled; retry");
        };
    }

    /** A step of a session's work that may fail on disk, in S3, or in S3's answer. */
    interface Step {
        Reply run() throws IOException, NotVerified, InterruptedException;
    }

    /** Runs {@code step}, its failures turned into the answers BITS gets. Called with the session locked. */
    Reply answered(UploadSession s, Step step) {
        try {
            return step.run();
        } catch (IOException e) {
            log.error("upload session {}: {}", s.logId(), e.toString());
            return Reply.fail(BitsError.DISK_FULL, "the upload state cannot be written");
        } catch (NotVerified e) {
            return notVerified(s, e);
        } catch (During e) {
            return upstreamFailed(s, e);
        } catch (PartUploader.Ended e) {
            return ended(s); // cancelled, failed or completed by another packet while this one waited
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Reply.fail(BitsError.INTERNAL, "the proxy is stopping; retry");
        }
    }

    /** A permanent refusal ends the session (every later packet is told the same); a transient one does not. */
    Reply upstreamFailed(UploadSession s, During e) {
        Reply r = UpstreamFailures.reply(e.operation, e.cause);
        return UpstreamFailures.permanent(e.cause) ? fail(s, r) : r;
    }

    /** S3 stored something other than what was sent: the upload ends, permanently, and says why. */
    Reply notVerified(UploadSession s, NotVerified e) {
        log.error("upload session {} for {}: {}", s.logId(), s.location, e.getMessage());
        return fail(s, Reply.fail(BitsError.NOT_VERIFIED, "the upload could not be verified: " + e.getMessage()));
    }

    /** Ends the session with {@code reply} (every later packet gets it too); the multipart upload is aborted. */
    Reply fail(UploadSession s, Reply reply) {
        if (!s.open()) {
            return reply;
        }
        uploader.stop(s);
        abortQuietly(s);
        s.failed(reply.error(), reply.message());
        try {
            store.save(s);
            store.dropSpool(s);
        } catch (IOException io) {
            log.error("upload session {}: {}", s.logId(), io.toString());
        }
        return reply;
    }

    private void abortQuietly(UploadSession s) {
        if (s.uploadId() != null) {
            try {
                s3.abort(s.location, s.uploadId());
            } catch (SdkException abortFailed) {
                log.warn("upload session {}: abort failed: {}", s.logId(), UpstreamFailures.describe(abortFailed));
            }
        }
    }

    /**
     * Ends a session that is cancelled or expired: its part uploads stopped, the multipart upload
     * aborted, its state and spool removed. A transient failure to abort is thrown (the client
     * retries the cancel).
     */
    void discard(UploadSession s) throws IOException {
        uploader.stop(s); // no part may land after the abort
        if (s.uploadId() != null && s.open()) {
            try {
                PartPipeline.call("AbortMultipartUpload", () -> {
                    s3.abort(s.location, s.uploadId());
                    return null;
                });
            } catch (During e) {
                if (!UpstreamFailures.permanent(e.cause)) {
                    // Transient: the client retries the cancel. Until then the session stays as
                    // it was: its stopped parts are found again from the spool before it goes on.
                    s.spool.stopping = false;
                    s.mustReconcile();
                    throw e;
                }
                // The endpoint cannot abort (s3rver: 405): the parts stay unreferenced, but no
                // object is ever made of them; the session ends here either way.
                log.warn("upload session {}: S3 refused AbortMultipartUpload ({}); its parts stay in the bucket"
                        + " until a lifecycle rule removes them", s.logId(), UpstreamFailures.describe(e.cause));
            }
        }
        s.cancelled();
        store.remove(s);
    }

    /** Aborts the sessions idle since before {@code cutoff} and forgets finished ones (each locked in turn). */
    void sweep(java.time.Instant cutoff, java.time.Duration ttl) {
        for (UploadSession s : store.all()) {
            synchronized (s) {
                if (s.lastActivity().isAfter(cutoff)) {
                    continue;
                }
                try {
                    discard(s);
                    log.info("upload session {} expired after {} idle", s.logId(), ttl);
                } catch (IOException | RuntimeException e) {
                    log.warn("upload session {}: clean-up failed: {}", s.logId(), e.getMessage());
                }
            }
        }
    }
}
