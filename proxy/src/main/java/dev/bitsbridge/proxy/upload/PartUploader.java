package dev.bitsbridge.proxy.upload;

import dev.bitsbridge.proxy.upload.PartPipeline.NotVerified;
import dev.bitsbridge.proxy.upload.SessionSpool.SealedPart;
import dev.bitsbridge.proxy.upload.UpstreamFailures.During;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * Uploads sealed parts to S3 in the background, at most {@code parallelism} at a time per session,
 * so a fragment is acknowledged once its bytes are on disk instead of after a round trip to S3.
 * Each part streams from its spool file (memory stays bounded) with the Content-MD5 computed while
 * it was spooled; S3 checks the bytes against it, and the ETag S3 answers must be that MD5. Only
 * then is the part recorded in the session (saved) and its spool file deleted: a part that fails,
 * or is cut short by a crash, is still on disk and is uploaded again under the same number.
 *
 * <p>Failures are kept on the session's {@link SessionSpool} for the protocol steps to report: a
 * transient one (a 5xx, no answer) leaves the part to be retried by the next fragment or by
 * completion; a permanent one (S3 refused for good, or stored something else) ends the session at
 * its next step.
 *
 * <p>Threading: parts run on this class's pool ({@code parallelism * 4} threads, shared by all
 * sessions, so S3 connections stay bounded too); the S3 call runs without the session lock, and
 * recording takes it. Every other method is called with the session locked; waiting releases the
 * lock ({@link Object#wait()}) and is woken by each part that ends.
 */
final class PartUploader implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PartUploader.class);

    private final UploadSessionStore store;
    private final S3Uploader s3;
    private final int parallelism;
    private final ExecutorService pool;
    /** Stopped: a part that ends now is not recorded (another process may own the state by then). */
    private volatile boolean closed;
    /** Parts of all sessions being sent to S3 now, for the metrics (sessions count their own under their lock). */
    private final java.util.concurrent.atomic.AtomicInteger running = new java.util.concurrent.atomic.AtomicInteger();

    PartUploader(UploadSessionStore store, S3Uploader s3, int parallelism) {
        this.store = store;
        this.s3 = s3;
        this.parallelism = Math.max(1, parallelism);
        this.pool = Executors.newFixedThreadPool(this.parallelism * 4, r -> {
            Thread t = new Thread(r, "bitsbridge-upload-part");
            t.setDaemon(true);
            return t;
        });
    }

    int parallelism() {
        return parallelism;
    }

    /** Parts of all sessions being sent to S3 now. */
    int partsInFlight() {
        return running.get();
    }

    /** Queues a sealed part; it starts at once if the session has a free slot. Session locked. */
    void submit(UploadSession s, SealedPart part) {
        s.spool.queued.add(part);
        pump(s);
    }

    private void pump(UploadSession s) {
        SessionSpool sp = s.spool;
        while (sp.inFlight < parallelism && !sp.queued.isEmpty() && sp.permanent == null && s.open() && !sp.stopping) {
            SealedPart p = sp.queued.poll();
            sp.inFlight++;
            running.incrementAndGet();
            try {
                pool.execute(() -> run(s, p));
            } catch (java.util.concurrent.RejectedExecutionException closing) {
                sp.inFlight--;
                running.decrementAndGet();
                sp.failed.add(p);
                sp.lastFailure = new During("UploadPart", SdkException.create("the proxy is stopping", null));
                return;
            }
        }
    }

    /** Parts that failed transiently are queued again. Session locked. */
    void retryFailed(UploadSession s) {
        SessionSpool sp = s.spool;
        if (!sp.failed.isEmpty()) {
            sp.queued.addAll(sp.failed);
            sp.failed.clear();
            pump(s);
        }
    }

    /** The session ended (cancelled, failed, completed) while a step waited for its parts. */
    static final class Ended extends RuntimeException {
        Ended() {
            super(null, null, false, false);
        }
    }

    /**
     * Waits (lock released meanwhile) until at most {@code max} parts are queued or uploading, or a
     * part failed for good; {@link Ended} if another packet ended the session meanwhile. Session locked.
     */
    void awaitPending(UploadSession s, int max) throws InterruptedException {
        while (s.spool.pending() > max && s.spool.permanent == null && s.open() && !s.spool.stopping) {
            s.wait();
        }
        if (!s.open() || s.spool.stopping) {
            throw new Ended();
        }
    }

    /** Stops a session's uploads: nothing more starts, and the parts in flight are waited for. Session locked. */
    void stop(UploadSession s) {
        SessionSpool sp = s.spool;
        sp.stopping = true;
        sp.queued.clear();
        sp.failed.clear();
        s.notifyAll(); // a step waiting for the queue to drain finds it so
        boolean interrupted = false;
        while (sp.inFlight > 0) {
            try {
                s.wait();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        sp.closeFile();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Throws the failure that ended the session's uploads, if one did. Session locked. */
    static void throwIfPermanent(UploadSession s) throws NotVerified {
        Exception e = s.spool.permanent;
        if (e instanceof NotVerified nv) {
            throw nv;
        }
        if (e instanceof During d) {
            throw d;
        }
    }

    private void run(UploadSession s, SealedPart p) {
        String etag = null;
        Exception failure = null;
        try {
            etag = upload(s, p);
        } catch (During | NotVerified | IOException e) {
            failure = e;
        } catch (RuntimeException e) {
            failure = new During("UploadPart", SdkException.create(e.toString(), e));
        }
        running.decrementAndGet();
        synchronized (s) {
            SessionSpool sp = s.spool;
            sp.inFlight--;
            try {
                if (!s.open() || closed) {
                    // Cancelled, failed or expired meanwhile (the multipart upload is being
                    // aborted), or the proxy is stopping (the part is uploaded again after a restart).
                    return;
                }
                if (failure == null) {
                    failure = record(s, p, etag);
                }
                if (failure != null) {
                    failed(s, p, failure);
                }
                pump(s);
            } finally {
                s.notifyAll();
            }
        }
    }

    /** The S3 side: the multipart upload (once per session), the part, and the check of its ETag. */
    private String upload(UploadSession s, SealedPart p) throws IOException, NotVerified {
        String uploadId;
        Path file;
        synchronized (s) {
            if (!s.open()) {
                return null;
            }
            if (s.uploadId() == null) {
                // Once per session, under its lock: the other parts wait for it (one round trip).
                s.multipartStarted(PartPipeline.call("CreateMultipartUpload", () -> s3.createMultipart(s.location)));
                store.save(s);
            }
            uploadId = s.uploadId();
            file = SpoolFiles.file(store.dir(s), p.base());
        }
        byte[] md5 = p.md5();
        if (md5 == null) {
            MessageDigest md = SessionSpool.newMd5();
            SpoolFiles.digest(file, 0, p.size(), md); // a part found on disk after a restart
            md5 = md.digest();
        }
        String b64 = Base64.getEncoder().encodeToString(md5);
        String etag = PartPipeline.call("UploadPart",
                () -> s3.uploadPart(s.location, uploadId, p.number(), file, 0, p.size(), b64));
        String expected = HexFormat.of().formatHex(md5);
        if (!PartPipeline.etagAgrees(etag, expected, PartPipeline.MD5)) {
            // Not recorded: completion never names this part.
            throw new NotVerified("S3 answered ETag " + etag + " for part " + p.number() + " (" + p.size()
                    + " bytes), but their MD5 is " + expected + ": it did not store what was sent");
        }
        return etag;
    }

    /** The part is in S3: recorded (saved), then its spool file deleted. Null, or why recording failed. */
    private Exception record(UploadSession s, SealedPart p, String etag) {
        try {
            s.partUploaded(new UploadSession.Part(p.number(), etag, p.size()));
            store.save(s);
            Files.deleteIfExists(SpoolFiles.file(store.dir(s), p.base()));
            return null;
        } catch (IOException e) {
            return e; // the part is uploaded again: its file is still there
        }
    }

    private void failed(UploadSession s, SealedPart p, Exception e) {
        SessionSpool sp = s.spool;
        if (e instanceof NotVerified || (e instanceof During d && UpstreamFailures.permanent(d.cause))) {
            log.warn("upload session {}: part {} failed for good: {}", s.logId(), p.number(), describe(e));
            sp.permanent = e;
            sp.queued.clear();
            return;
        }
        log.info("upload session {}: part {} failed, to be retried: {}", s.logId(), p.number(), describe(e));
        sp.failed.add(p);
        sp.lastFailure = e instanceof During d ? d
                : new During("UploadPart", SdkException.create("the part could not be read or recorded: " + e, e));
    }

    private static String describe(Exception e) {
        return e instanceof During d ? d.operation + ": " + UpstreamFailures.describe(d.cause) : e.getMessage();
    }

    @Override
    public void close() {
        closed = true;
        pool.shutdownNow(); // parts cut short are on disk, recorded nowhere: uploaded again after a restart
        try {
            pool.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
