package dev.bitsbridge.proxy.upload;

import dev.bitsbridge.proxy.upload.S3Uploader.ObjectHead;
import dev.bitsbridge.proxy.upload.UpstreamFailures.During;
import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;

/**
 * A session's bytes into S3, verified: the single PUT, and completion once every part is in (the
 * parts themselves go up in the background, {@link PartUploader}). Nothing is recorded as done that
 * S3's answer does not confirm:
 * <ul>
 *   <li>every part and single PUT carries Content-MD5 (computed while the bytes were spooled), and
 *       the ETag S3 answers must be that MD5 where it has the MD5 form (32 hex digits; SSE-KMS
 *       ETags do not, and are left to the checks below);</li>
 *   <li>after completion a HEAD must show the object with exactly the uploaded size, and its ETag
 *       must be what S3 makes of the parts (the MD5 of the part MD5s, "-N") or of a single PUT's
 *       bytes, where it has that form.</li>
 * </ul>
 * A mismatch throws {@link NotVerified}; an object this session just wrote that fails the checks is
 * deleted first, so nothing is left looking complete.
 *
 * <p>Blocking (file and S3 I/O); called with the session locked, on an upload thread.
 */
final class PartPipeline {

    private static final Logger log = LoggerFactory.getLogger(PartPipeline.class);
    static final Pattern MD5 = Pattern.compile("[0-9a-f]{32}");
    static final Pattern MULTIPART = Pattern.compile("[0-9a-f]{32}-[0-9]+");

    /** S3's answer does not match what was sent. */
    static final class NotVerified extends Exception {
        NotVerified(String message) {
            super(message, null, false, false);
        }
    }

    /** How completion ended when it did not throw. */
    enum Completion {
        /** The object is in S3, verified. */
        DONE,
        /** S3 refused it with 412/409: the key exists (another upload won). */
        KEY_EXISTS
    }

    private final UploadSessionStore store;
    private final S3Uploader s3;
    private final PartUploader uploader;

    PartPipeline(UploadSessionStore store, S3Uploader s3, PartUploader uploader) {
        this.store = store;
        this.s3 = s3;
        this.uploader = uploader;
    }

    /**
     * All bytes are in: one PUT for an object that fits one part, else the last part is sealed,
     * every part's background upload waited for (lock released meanwhile), and
     * CompleteMultipartUpload sent; then the object is checked. {@code ifNoneMatch} sends
     * {@code If-None-Match: *}. On {@link Completion#DONE} the session is completed (not saved).
     * A part that failed transiently is tried once more here; if it fails again, its failure is
     * thrown (the client retries the packet, and completion runs again).
     */
    Completion complete(UploadSession s, boolean ifNoneMatch) throws IOException, NotVerified, InterruptedException {
        SessionSpool sp = s.spool;
        try {
            if (s.singlePut()) {
                Path spool = SpoolFiles.file(store.dir(s), 0);
                sp.sync();
                long length = s.total();
                byte[] md5 = sp.digestSoFar();
                PutObjectResponse r = call("PutObject",
                        () -> s3.put(s.location, spool, length, base64(md5), ifNoneMatch));
                String expected = HexFormat.of().formatHex(md5);
                if (!etagAgrees(r.eTag(), expected, MD5)) {
                    deleteIfOurs(s, r.eTag());
                    throw new NotVerified("S3 answered ETag " + r.eTag() + " to the PUT, but the bytes' MD5 is "
                            + expected + ": it did not store what was sent");
                }
                verifyObject(s, r.eTag(), expected, MD5);
                s.completed(r.eTag(), r.versionId());
            } else {
                if (!sp.lastSealed) {
                    uploader.submit(s, sp.sealLast(s));
                }
                PartUploader.throwIfPermanent(s);
                uploader.retryFailed(s);
                uploader.awaitPending(s, 0);
                PartUploader.throwIfPermanent(s);
                if (!sp.failed.isEmpty()) {
                    throw sp.lastFailure; // transient: BITS resends, and completion runs again
                }
                List<UploadSession.Part> parts = s.parts();
                if (parts.size() != s.lastPart() || parts.get(parts.size() - 1).number() != s.lastPart()) {
                    // Only when the proxy is stopping (parts that end are no longer recorded): retried.
                    throw new During("UploadPart", SdkException.create(parts.size() + " of " + s.lastPart()
                            + " parts are recorded after all were uploaded", null));
                }
                CompleteMultipartUploadResponse r = call("CompleteMultipartUpload",
                        () -> s3.complete(s.location, s.uploadId(), parts, ifNoneMatch));
                verifyObject(s, r.eTag(), multipartEtag(parts), MULTIPART);
                s.completed(r.eTag(), r.versionId());
            }
        } catch (During d) {
            if (d.cause instanceof software.amazon.awssdk.services.s3.model.S3Exception e
                    && (e.statusCode() == 412 || e.statusCode() == 409)
                    && (d.operation.equals("PutObject") || d.operation.equals("CompleteMultipartUpload"))) {
                return Completion.KEY_EXISTS;
            }
            throw d;
        }
        return Completion.DONE;
    }

    /** HEAD the completed object: it must be there, with our size, and our ETag where S3's form applies. */
    private void verifyObject(UploadSession s, String writtenEtag, String expectedEtag, Pattern form)
            throws NotVerified {
        ObjectHead head = call("HeadObject", () -> s3.head(s.location));
        if (head == null) {
            throw new NotVerified("S3 confirmed the upload, but a HEAD of " + s.location.key() + " finds no object");
        }
        String problem = null;
        if (head.size() != s.total()) {
            problem = "the stored object has " + head.size() + " bytes, the upload " + s.total();
        } else if (expectedEtag != null && !etagAgrees(head.etag(), expectedEtag, form)) {
            problem = "the stored object's ETag is " + head.etag() + ", the uploaded bytes make " + expectedEtag;
        }
        if (problem != null) {
            if (same(head.etag(), writtenEtag)) {
                deleteIfOurs(s, writtenEtag);
            }
            throw new NotVerified(problem + "; the object was not accepted");
        }
        log.debug("upload session {}: {} verified ({} bytes, ETag {})", s.logId(), s.location, head.size(), head.etag());
    }

    /**
     * Deletes the object this session just wrote when it failed its checks. Only when it is still the
     * one we wrote (its ETag is the one our write returned), so another writer's object is never hit.
     */
    private void deleteIfOurs(UploadSession s, String writtenEtag) {
        try {
            ObjectHead head = s3.head(s.location);
            if (head != null && same(head.etag(), writtenEtag)) {
                s3.delete(s.location);
                log.warn("upload session {}: deleted {}, which S3 stored differently from what was sent", s.logId(),
                        s.location);
            }
        } catch (SdkException e) {
            log.error("upload session {}: could not delete the unverified object {}: {}", s.logId(), s.location,
                    UpstreamFailures.describe(e));
        }
    }

    /**
     * Whether S3's {@code etag} agrees with {@code expected}: equal when it has the form the check
     * applies to ({@code form}), otherwise not checkable and accepted (SSE-KMS, other servers' own
     * schemes); a missing ETag never agrees (completion needs it).
     */
    static boolean etagAgrees(String etag, String expected, Pattern form) {
        if (etag == null || etag.isBlank()) {
            return false;
        }
        String e = unquote(etag);
        return !form.matcher(e).matches() || e.equals(expected);
    }

    /** What S3 makes a multipart object's ETag: MD5 of the part MD5s, "-N"; null when a part's ETag is no MD5. */
    static String multipartEtag(List<UploadSession.Part> parts) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        for (UploadSession.Part p : parts) {
            String h = unquote(p.etag());
            if (!MD5.matcher(h).matches()) {
                return null;
            }
            md.update(HexFormat.of().parseHex(h));
        }
        return HexFormat.of().formatHex(md.digest()) + "-" + parts.size();
    }

    private static boolean same(String a, String b) {
        return a != null && b != null && unquote(a).equals(unquote(b));
    }

    static String unquote(String etag) {
        String e = etag.trim();
        if (e.startsWith("W/")) {
            e = e.substring(2);
        }
        return e.replace("\"", "").toLowerCase(Locale.ROOT);
    }

    private static String base64(byte[] md5) {
        return Base64.getEncoder().encodeToString(md5);
    }

    /** Runs one S3 call, naming it in the failure. */
    static <T> T call(String operation, Supplier<T> work) {
        try {
            return work.get();
        } catch (SdkException e) {
            throw new During(operation, e);
        }
    }
}
