package dev.bitsbridge.proxy.upload;

import dev.bitsbridge.proxy.upload.UploadService.Reply;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
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
        if (s.uploadId != null) {
            List<UploadSession.Part> inS3;
            try {
                inS3 = s3.listParts(s.location, s.uploadId);
            } catch (S3Exception e) {
                if (e.statusCode() == 404) {
                    log.warn("upload session {}: its multipart upload is gone from S3", s.id);
                    s.state = UploadSession.State.CANCELLED;
                    store.save(s);
                    return Reply.fail(BitsError.SESSION_NOT_FOUND, "the upload was lost; start again");
                }
                throw e;
            }
            for (int i = 0; i < inS3.size(); i++) {
                if (inS3.get(i).number() != i + 1) {
                    inS3 = inS3.subList(0, i); // only a contiguous run of parts counts
                    break;
                }
            }
            s.parts.clear();
            s.parts.addAll(inS3);
        }
        long length = SpoolFiles.recover(store.dir(s), s.partsBytes());
        if (length < 0) {
            s.state = UploadSession.State.CANCELLED;
            store.save(s);
            return Reply.fail(BitsError.SESSION_NOT_FOUND, "the upload's spooled bytes were lost; start again");
        }
        s.needsReconcile = false;
        store.save(s);
        log.info("upload session {} resumed at offset {}", s.id, s.partsBytes() + length);
        return null;
    }

    /**
     * Whether the object now under the key is this session's own upload (completed just before a
     * crash): its ETag is what S3 makes of exactly our parts (MD5 of the part MD5s, "-N") or, for a
     * single PUT, the MD5 of our bytes. Objects encrypted with SSE-KMS have other ETags; for them
     * this says no, and the client is told the key exists.
     */
    boolean isOurs(UploadSession s) throws IOException, NoSuchAlgorithmException {
        String etag = s3.etag(s.location);
        if (etag == null) {
            return false;
        }
        String e = etag.replace("\"", "");
        if (s.uploadId != null) {
            MessageDigest md = MessageDigest.getInstance("MD5");
            for (UploadSession.Part p : s.parts) {
                String h = p.etag().replace("\"", "");
                if (h.length() != 32) {
                    return false;
                }
                md.update(HexFormat.of().parseHex(h));
            }
            return e.equals(HexFormat.of().formatHex(md.digest()) + "-" + s.parts.size());
        }
        Path spool = store.spool(s);
        return Files.exists(spool) && e.equals(S3Uploader.md5Hex(spool, Files.size(spool)));
    }

}
