package dev.bitsbridge.proxy.upload;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.bitsbridge.proxy.upload.UpstreamFailures.During;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Bringing a session back after a crash. S3 is the truth for the parts ({@code ListParts}), the
 * spool files for the bytes not yet in S3 ({@link #reconcile}); and an object that S3 completed
 * just before the crash is recognised as the session's own by its ETag.
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

    /**
     * After a restart: S3's parts are the truth for what is uploaded, the spool files for the rest.
     * The session holds the contiguous run, from byte 0, of parts that are confirmed (recorded, and
     * in S3 with the recorded ETag) or whose spool file is whole; the part file after it is the one
     * being appended. Whole part files not confirmed are queued for upload again (under the same
     * number: an upload cut short by the crash is simply replaced). Files and records past the
     * first hole are dropped: those bytes were never acknowledged together (a fragment is
     * acknowledged only after all of its files were forced to disk), and the client resends them.
     */
    Reply reconcile(UploadSession s, PartUploader uploader) throws IOException {
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
                        + " parts", s.logId(), UpstreamFailures.describe(d.cause), s.parts().size());
                inS3 = s.parts();
            }
            Map<Integer, String> etags = new HashMap<>();
            for (UploadSession.Part p : inS3) {
                etags.put(p.number(), PartPipeline.unquote(p.etag()));
            }
            confirmed.removeIf(p -> !PartPipeline.unquote(p.etag()).equals(etags.get(p.number())));
        }
        Map<Integer, UploadSession.Part> byNumber = new HashMap<>();
        confirmed.forEach(p -> byNumber.put(p.number(), p));
        Path dir = store.dir(s);
        long total = s.total() < 0 ? Long.MAX_VALUE : s.total();
        List<UploadSession.Part> kept = new ArrayList<>();
        List<SessionSpool.SealedPart> toUpload = new ArrayList<>();
        long offset = 0;
        int n = 1;
        long openBase = 0;
        while (offset < total) {
            long want = Math.min(s.partSize, total - offset);
            UploadSession.Part p = byNumber.get(n);
            if (p != null && p.size() == want) {
                kept.add(p);
            } else {
                Path file = SpoolFiles.file(dir, offset);
                long length = Files.exists(file) ? Files.size(file) : -1;
                if (length > want) {
                    split(file, want, SpoolFiles.file(dir, offset + want)); // a spool from before parts had files
                    length = want;
                }
                if (length < want || offset + want == total) {
                    openBase = offset; // the part being appended (or, whole, the object's last part)
                    if (length == want) {
                        toUpload.add(new SessionSpool.SealedPart(n, offset, want, null));
                    }
                    offset += Math.max(length, 0);
                    break;
                }
                toUpload.add(new SessionSpool.SealedPart(n, offset, want, null));
            }
            offset += want;
            openBase = offset;
            n++;
        }
        long received = offset;
        if (s.singlePut()) {
            toUpload.clear(); // one PUT at completion, never a part
        }
        for (long base : SpoolFiles.bases(dir)) {
            if (base > openBase || base < openBase && kept.stream().anyMatch(p -> s.base(p.number()) == base)) {
                Files.deleteIfExists(SpoolFiles.file(dir, base)); // past the hole, or already in S3
            }
        }
        s.reconciled(kept);
        store.save(s);
        SessionSpool sp = s.spool;
        sp.openBase = openBase;
        if (received < total || s.singlePut()) {
            sp.resync(s, store); // the open part's length and MD5, from its file
        } else {
            sp.received = received;
            sp.lastSealed = true; // its part is whole: in S3, or queued below
        }
        for (SessionSpool.SealedPart p : toUpload) {
            uploader.submit(s, p);
        }
        log.info("upload session {} resumed at offset {} ({} parts in S3, {} to upload from the spool)", s.logId(),
                sp.received, kept.size(), toUpload.size());
        return null;
    }

    /** Cuts {@code file} at {@code at}: the rest goes to {@code next} (unless it is there already). */
    private static void split(Path file, long at, Path next) throws IOException {
        if (!Files.exists(next)) {
            SpoolFiles.writeTail(file, at, next);
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(at);
            ch.force(true);
        }
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
        Path spool = SpoolFiles.file(store.dir(s), 0);
        return Files.exists(spool) && e.equals(HexFormat.of().formatHex(S3Uploader.md5(spool, 0, Files.size(spool))));
    }

}
