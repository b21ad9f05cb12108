package dev.bitsbridge.proxy.upload;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.bitsbridge.proxy.upload.UpstreamFailures.During;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Bringing a session back after a crash. S3 is the truth for the parts ({@code ListParts}); the
 * spool is rebuilt to start where they end ({@link SpoolFiles#recover}); and an object that S3
 * completed just before the crash is recognised as the session's own by its ETag.
 *
 * <p>Blocking (S3 calls, file I/O); called with the session locked, on an upload thread.
 */
final class SessionRecovery {

    private static final Logger log = LoggerFactory.getLogger(SessionRecovery.class);

    private final UploadSessionStore store;
    private final S3Uploader s3;

    SessionRecovery(UploadSessionStore store, S3Uploader s3) {
        this.store = store;
        this.s3 = s3;
    }

    /** After a restart: S3's parts are the truth; rebuild the spool to start where they end. */
    Reply reconcile(UploadSession s) throws IOException {
        List<UploadSession.Part> confirmed = new ArrayList<>(s.parts());
        if (s.uploadId() != null) {
            List<UploadSession.Part> inS3;
            try {
                inS3 = PartPipeline.call("ListParts", () -> s3.listParts(s.location, s.uploadId()));
            } catch (During d) {
                if (d.cause instanceof S3Exception e && e.statusCode() == 404) {
                    log.warn("upload session {}: its multipart upload is gone from S3", s.logId());
                    s.cancelled();
                    store.save(s);
                    return Reply.fail(BitsError.SESSION_NOT_FOUND, "the upload was lost; start again");
                }
                if (!(d.cause instanceof S3Exception e && (e.statusCode() == 405 || e.statusCode() == 501))) {
                    throw d;
                }
                // The endpoint has no ListParts (s3rver: 405). The record is a safe lower bound: a
                // part is recorded only after S3 confirmed it, and a part uploaded but not recorded
                // is uploaded again under the same number. CompleteMultipartUpload and the checks
                // after it catch a part S3 lost.
                log.info("upload session {}: the endpoint has no ListParts ({}); resuming from the {} recorded"
                        + " parts", s.id, UpstreamFailures.describe(d.cause), s.parts().size());
                inS3 = s.parts();
            }
            for (int i = 0; i < inS3.size(); i++) {
                if (inS3.get(i).number() != i + 1) {
                    inS3 = inS3.subList(0, i); // only a contiguous run of parts counts
                    break;
                }
            }
            confirmed = inS3;
        }
        s.reconciled(confirmed);
        long length = SpoolFiles.recover(store.dir(s), s.partsBytes());
        if (length < 0) {
            s.cancelled();
            store.save(s);
            return Reply.fail(BitsError.SESSION_NOT_FOUND, "the upload's spooled bytes were lost; start again");
        }
        store.save(s);
        log.info("upload session {} resumed at offset {}", s.logId(), s.partsBytes() + length);
        return null;
    }

    /**
     * Whether the object now under the key is this session's own upload (completed just before a
     * crash): its ETag is what S3 makes of exactly our parts (MD5 of the part MD5s, "-N") or, for a
     * single PUT, the MD5 of our bytes. Objects encrypted with SSE-KMS have other ETags; for them
     * this says no, and the client is told the key exists.
     */
    boolean isOurs(UploadSession s) throws IOException {
        String etag = PartPipeline.call("HeadObject", () -> s3.etag(s.location));
        if (etag == null) {
            return false;
        }
        String e = PartPipeline.unquote(etag);
        if (s.uploadId() != null) {
            String expected = PartPipeline.multipartEtag(s.parts());
            return expected != null && e.equals(expected);
        }
        Path spool = store.spool(s);
        return Files.exists(spool) && e.equals(HexFormat.of().formatHex(S3Uploader.md5(spool, 0, Files.size(spool))));
    }

}
