package dev.bitsbridge.proxy.upload;

import dev.bitsbridge.proxy.s3.S3Location;
import dev.bitsbridge.proxy.upload.PartPipeline.NotVerified;
import dev.bitsbridge.proxy.upload.S3Uploader.ObjectHead;
import dev.bitsbridge.proxy.upload.SharedSession.Spill;
import dev.bitsbridge.proxy.upload.SharedSessions.Read;
import dev.bitsbridge.proxy.upload.UploadSession.Part;
import dev.bitsbridge.proxy.upload.UpstreamFailures.During;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Shared mode: the object made of a session's spills. Part {@code n} is made as soon as all of its
 * bytes are acknowledged, in the background on the instance that acknowledged the last of them, and
 * at completion for any part still missing (its instance died, or the part was the last):
 * one spill is copied inside S3 ({@code UploadPartCopy}, no bytes through the proxy); several are
 * read back and sent as one {@code UploadPart} (the part size is the floor S3 sets for every part
 * but the last, and fragments are often smaller). A part is recorded in the session only after S3
 * answered the MD5 of its bytes, and only then are its spills deleted, so every acknowledged byte is
 * in a recorded part or a recorded spill at any moment. Two instances making the same part is
 * harmless: same number, same bytes, same ETag.
 *
 * <p>Completion is {@code CompleteMultipartUpload} with {@code If-None-Match: *} (first upload
 * wins), a HEAD that must find the object with the uploaded size and the ETag its parts make, and the
 * result recorded in the session, so a Close-Session resent to any instance gets the same answer. A
 * completion that S3 refuses because it already happened (the instance that did it died before
 * recording it, or another instance completed in parallel) is recognised by the object's ETag.
 *
 * <p>Threading: thread-safe; blocking (S3 and file I/O), called on upload threads; parts are made on
 * this class's pool ({@code parallelism} threads).
 */
final class SharedAssembly implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SharedAssembly.class);

    private final SharedSessions sessions;
    private final S3Uploader s3;
    /** The client for the state bucket, where the spills are (its addressing may differ from the upload bucket's). */
    private final S3Uploader spillS3;
    private final String stateBucket;
    private final String spillPrefix;
    private final Path tmp;
    private final boolean ifNoneMatch;
    private final ExecutorService pool;
    /** Parts being made on this instance ({@code hash#n}): each made once here at a time. */
    private final Set<String> making = ConcurrentHashMap.newKeySet();

    SharedAssembly(SharedSessions sessions, S3Uploader s3, S3Uploader spillS3, String stateBucket, String spillPrefix,
            Path tmp, int parallelism, boolean ifNoneMatch) {
        this.sessions = sessions;
        this.s3 = s3;
        this.spillS3 = spillS3;
        this.stateBucket = stateBucket;
        this.spillPrefix = spillPrefix;
        this.tmp = tmp;
        this.ifNoneMatch = ifNoneMatch;
        this.pool = Executors.newFixedThreadPool(Math.max(1, parallelism), r -> {
            Thread t = new Thread(r, "bitsbridge-upload-assembly");
            t.setDaemon(true);
            return t;
        });
    }

    /** Where a session's spill objects live (state bucket). */
    String spills(String hash) {
        return spillPrefix + hash + "/spill/";
    }

    /** Makes the parts whose bytes are all acknowledged, in the background; failures are left to completion. */
    void makeInBackground(String hash, SharedSession s) {
        for (int n : s.partsToMake()) {
            String key = hash + "#" + n;
            if (!making.add(key)) {
                continue;
            }
            try {
                pool.execute(() -> {
                    try {
                        make(hash, s, n);
                    } catch (Exception e) {
                        log.info("upload session {}: part {} not made yet ({}); completion makes it",
                                SharedSessions.logId(hash), n, e.toString());
                    } finally {
                        making.remove(key);
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                making.remove(key);
            }
        }
    }

    /** Part {@code n} of {@code s} from its spills into S3, verified, recorded; its spills then deleted. */
    private void make(String hash, SharedSession s, int n) throws IOException, NotVerified {
        List<Spill> spills = s.spillsOf(n);
        long size = s.end(n) - s.base(n);
        long at = s.base(n);
        for (Spill sp : spills) {
            if (sp.start() != at) {
                throw new IOException("the spills of part " + n + " do not cover it");
            }
            at = sp.end();
        }
        if (at != s.end(n)) {
            throw new IOException("the spills of part " + n + " do not cover it");
        }
        String etag;
        String expected;
        if (spills.size() == 1) {
            S3Location source = new S3Location(stateBucket, spills.get(0).key());
            etag = PartPipeline.call("UploadPartCopy", () -> s3.copyPart(s.location(), s.uploadId(), n, source));
            expected = spills.get(0).md5();
        } else {
            Path file = Files.createTempFile(tmp, "part-", ".part");
            try {
                MessageDigest md = SessionSpool.newMd5();
                try (OutputStream out = new DigestOutputStream(Files.newOutputStream(file), md)) {
                    for (Spill sp : spills) {
                        long got = PartPipeline.call("GetObject", () -> {
                            try {
                                return spillS3.download(new S3Location(stateBucket, sp.key()), out);
                            } catch (IOException e) {
                                throw SdkException.create("reading a spill failed: " + e, e);
                            }
                        });
                        if (got != sp.size()) {
                            throw new NotVerified("spill " + sp.start() + "-" + sp.end() + " has " + got + " bytes");
                        }
                    }
                }
                byte[] digest = md.digest();
                expected = HexFormat.of().formatHex(digest);
                String b64 = Base64.getEncoder().encodeToString(digest);
                etag = PartPipeline.call("UploadPart",
                        () -> s3.uploadPart(s.location(), s.uploadId(), n, file, 0, size, b64));
            } finally {
                Files.deleteIfExists(file);
            }
        }
        if (!PartPipeline.etagAgrees(etag, expected, PartPipeline.MD5)) {
            throw new NotVerified("S3 answered ETag " + etag + " for part " + n + " (" + size
                    + " bytes), but their MD5 is " + expected + ": it did not store what was sent");
        }
        Part part = new Part(n, etag, size);
        sessions.update(hash, null, x -> x.partMade(part));
        // Read again before the spills go: a compare-and-swap that S3SharedState reported as won
        // can still be lost (a writer three generations behind re-creating a pruned generation:
        // S3SharedStateTest under load), and the spills are the only copy the record names.
        Read r = sessions.getByHash(hash);
        if (r == null || !r.session().open() || r.session().hasPart(n)) {
            for (Spill sp : spills) {
                deleteSpill(sp.key());
            }
        }
    }

    /**
     * All bytes are acknowledged: the missing parts made (a few at a time), the upload completed,
     * verified and recorded. Failures become the answers BITS gets; a permanent one ends the session.
     */
    Reply complete(String id, Read read) {
        String hash = SharedSessions.hash(id);
        try {
            Read r = read;
            for (int round = 0; !r.session().partsToMake().isEmpty(); round++) {
                if (round == 3) {
                    throw new During("UploadPart", SdkException.create("parts still missing after three rounds", null));
                }
                makeAll(hash, r.session());
                r = sessions.getByHash(hash);
                if (r == null) {
                    return Reply.fail(BitsError.SESSION_NOT_FOUND, "no such upload session");
                }
                if (!r.session().open()) {
                    return ended(r.session(), id);
                }
            }
            return finish(id, hash, r);
        } catch (IOException e) {
            log.warn("upload session {}: the shared state failed: {}", SharedSessions.logId(hash), e.toString());
            return Reply.fail(BitsError.UPSTREAM, "the shared upload state could not be read or written; retry");
        } catch (During e) {
            Reply reply = UpstreamFailures.reply(e.operation, e.cause);
            return UpstreamFailures.permanent(e.cause) ? fail(hash, reply) : reply;
        } catch (NotVerified e) {
            log.error("upload session {}: {}", SharedSessions.logId(hash), e.getMessage());
            return fail(hash, Reply.fail(BitsError.NOT_VERIFIED, "the upload could not be verified: " + e.getMessage()));
        }
    }

    /** Makes every missing part of {@code s}; a spill gone (another instance made its part meanwhile) is not a failure. */
    private void makeAll(String hash, SharedSession s) throws IOException, NotVerified {
        List<Future<?>> started = new ArrayList<>();
        for (int n : s.partsToMake()) {
            started.add(pool.submit(() -> {
                make(hash, s, n);
                return null;
            }));
        }
        for (Future<?> f : started) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new During("UploadPart", SdkException.create("the proxy is stopping", e));
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                if (c instanceof During d && d.cause instanceof S3Exception s3e && s3e.statusCode() == 404
                        && d.operation.equals("GetObject")) {
                    continue; // read the record again: the part is recorded by now
                }
                if (c instanceof IOException io) {
                    throw io;
                }
                if (c instanceof NotVerified nv) {
                    throw nv;
                }
                if (c instanceof During d) {
                    throw d;
                }
                throw new During("UploadPart", SdkException.create(String.valueOf(c), c));
            }
        }
    }

    private Reply finish(String id, String hash, Read r) throws IOException, NotVerified {
        SharedSession s = r.session();
        List<Part> parts = s.parts();
        if (s.acked() != s.total() || parts.size() != s.lastPart()
                || parts.get(parts.size() - 1).number() != s.lastPart()) {
            // The record read last does not hold every byte as a part (an acknowledgment lost in a
            // race): never complete a short object; the client resends and is told where to go on.
            throw new During("CompleteMultipartUpload", SdkException.create(parts.size() + " of " + s.lastPart()
                    + " parts and " + s.acked() + " of " + s.total() + " bytes are recorded", null));
        }
        String expected = PartPipeline.multipartEtag(parts);
        String etag;
        String versionId = null;
        try {
            CompleteMultipartUploadResponse c = PartPipeline.call("CompleteMultipartUpload",
                    () -> s3.complete(s.location(), s.uploadId(), parts, ifNoneMatch));
            etag = c.eTag();
            versionId = c.versionId();
        } catch (During d) {
            if (!(d.cause instanceof S3Exception e && (e.statusCode() == 412 || e.statusCode() == 409
                    || e.statusCode() == 404))) {
                throw d;
            }
            ObjectHead head = PartPipeline.call("HeadObject", () -> s3.head(s.location()));
            boolean ours = head != null && head.size() == s.total() && expected != null
                    && PartPipeline.unquote(head.etag()).equals(expected);
            if (!ours) {
                Read now = sessions.getByHash(hash);
                if (now != null && !now.session().open()) {
                    return ended(now.session(), id); // another instance completed, failed or cancelled it
                }
                if (head == null) {
                    return fail(hash, Reply.fail(BitsError.SESSION_NOT_FOUND, "the upload was lost; start again"));
                }
                log.info("upload session {}: {} already exists; discarding this upload", SharedSessions.logId(hash),
                        s.location());
                return fail(hash, Reply.fail(BitsError.FILE_EXISTS, "another upload of this object completed first"));
            }
            etag = head.etag(); // completed by another instance, or before a crash: ours all the same
        }
        verify(s, etag, expected);
        String e = etag;
        String v = versionId;
        Read done = sessions.update(hash, r, x -> x.completed(e, v));
        cleanUp(hash, null);
        if (done == null) {
            return Reply.fail(BitsError.SESSION_NOT_FOUND, "no such upload session");
        }
        if (done.session().state() == UploadSession.State.COMPLETED) {
            log.info("upload session {} completed {} ({} bytes, verified)", SharedSessions.logId(hash), s.location(),
                    s.total());
        }
        return ended(done.session(), id);
    }

    /** The completed object must be there with the uploaded size and the ETag its parts make. */
    private void verify(SharedSession s, String written, String expected) throws NotVerified {
        ObjectHead head = PartPipeline.call("HeadObject", () -> s3.head(s.location()));
        String problem = null;
        if (head == null) {
            problem = "a HEAD of " + s.location().key() + " finds no object";
        } else if (head.size() != s.total()) {
            problem = "the stored object has " + head.size() + " bytes, the upload " + s.total();
        } else if (expected != null && !PartPipeline.etagAgrees(head.etag(), expected, PartPipeline.MULTIPART)) {
            problem = "the stored object's ETag is " + head.etag() + ", the uploaded bytes make " + expected;
        }
        if (problem != null) {
            if (head != null && written != null && PartPipeline.unquote(head.etag()).equals(PartPipeline.unquote(written))) {
                deleteQuietly(s.location());
            }
            throw new NotVerified(problem + "; the object was not accepted");
        }
    }

    /** Ends the session with {@code reply} (every later packet, on any instance, gets it too). */
    Reply fail(String hash, Reply reply) {
        try {
            Read r = sessions.update(hash, null, x -> x.failed(reply.error(), reply.message()));
            cleanUp(hash, r == null ? null : r.session());
        } catch (IOException e) {
            log.warn("upload session {}: could not record its failure: {}", SharedSessions.logId(hash), e.toString());
        }
        return reply;
    }

    /**
     * Deletes the session's spill objects (orphans of instances that died between the spill and the
     * record included), and aborts its multipart upload when {@code ended} is given and not completed.
     */
    void cleanUp(String hash, SharedSession ended) {
        if (ended != null && ended.state() != UploadSession.State.COMPLETED && ended.uploadId() != null) {
            try {
                s3.abort(ended.location(), ended.uploadId());
            } catch (SdkException e) {
                log.warn("upload session {}: abort failed: {}", SharedSessions.logId(hash), UpstreamFailures.describe(e));
            }
        }
        try {
            for (String key : spillS3.list(stateBucket, spills(hash))) {
                deleteSpill(key);
            }
        } catch (SdkException e) {
            log.warn("upload session {}: spills not deleted: {}", SharedSessions.logId(hash), UpstreamFailures.describe(e));
        }
    }

    /** Deletes one spill object; a failure leaves it for the session's clean-up. */
    void deleteSpill(String key) {
        deleteQuietly(spillS3, new S3Location(stateBucket, key));
    }

    private void deleteQuietly(S3Location loc) {
        deleteQuietly(s3, loc);
    }

    private static void deleteQuietly(S3Uploader client, S3Location loc) {
        try {
            client.delete(loc);
        } catch (SdkException e) {
            log.debug("could not delete {}: {}", loc.key(), UpstreamFailures.describe(e));
        }
    }

    /** What a packet for a session that is no longer open is told (as local mode's {@link SessionEnds#ended}). */
    static Reply ended(SharedSession s, String id) {
        return switch (s.state()) {
            case COMPLETED -> Replies.ack(id, s.total(), true);
            case FAILED -> Reply.fail(s.failure() == null ? BitsError.FILE_EXISTS : s.failure(), s.failureMessage());
            case CANCELLED -> Reply.fail(BitsError.SESSION_NOT_FOUND, "the session was cancelled");
            case OPEN -> Reply.fail(BitsError.INTERNAL, "the session is still open; retry");
        };
    }

    @Override
    public void close() {
        pool.shutdownNow();
        try {
            pool.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
