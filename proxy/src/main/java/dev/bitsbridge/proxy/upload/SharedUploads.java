package dev.bitsbridge.proxy.upload;

import dev.bitsbridge.proxy.s3.S3Location;
import dev.bitsbridge.proxy.upload.PartPipeline.NotVerified;
import dev.bitsbridge.proxy.upload.SharedSession.Spill;
import dev.bitsbridge.proxy.upload.SharedSessions.Read;
import dev.bitsbridge.proxy.upload.UpstreamFailures.During;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;

/**
 * The BITS Upload Protocol in shared mode ({@code --state-bucket}, docs/scale-out.md): any packet
 * of a session may reach any instance. The session is an object in the shared state
 * ({@link SharedSessions}), read fresh by every packet; a fragment's new bytes are received into a
 * local temporary file, put into S3 as spill objects (Content-MD5, the ETag checked), and only then
 * is the session's acknowledged length advanced, by compare-and-swap, and the fragment acknowledged.
 * So losing an instance loses nothing acknowledged, and a fragment resent to another instance after
 * its ack (the ack was lost) is never counted twice: the compare-and-swap names the acknowledged
 * length it started from, and the loser of a race answers from the winner's state and deletes its
 * spills. Parts and completion: {@link SharedAssembly}.
 *
 * <p>Unlike local mode, a fragment is not refused while another of its session is being received
 * (that one may be on another instance): both are received, one is acknowledged. The session quota
 * ({@code --max-upload-sessions}) is not applied (sessions hold no local state); the spool quota
 * bounds the fragments being received on this instance.
 *
 * <p>Threading: every method blocks (S3) and runs on an upload thread; thread-safe (no shared
 * mutable state but the quotas' counter).
 */
final class SharedUploads implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SharedUploads.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final UploadService.Settings settings;
    private final SharedSessions sessions;
    private final S3Uploader s3;
    private final S3Uploader spillS3;
    private final String stateBucket;
    private final SharedAssembly assembly;
    private final UploadQuotas quotas;
    private final Executor executor;
    private final Clock clock;
    private final Path tmp;

    /**
     * @param statePrefix the state prefix: spills are written under {@code <statePrefix>uploads/}
     * @param tmp a folder of this machine for fragments being received (emptied here)
     */
    SharedUploads(UploadService.Settings settings, SharedSessions sessions, S3Uploader s3, S3Uploader spillS3,
            String stateBucket, String statePrefix, UploadQuotas quotas, Executor executor, Clock clock, Path tmp)
            throws IOException {
        this.settings = settings;
        this.sessions = sessions;
        this.s3 = s3;
        this.spillS3 = spillS3;
        this.stateBucket = stateBucket;
        this.quotas = quotas;
        this.executor = executor;
        this.clock = clock;
        this.tmp = Files.createDirectories(tmp);
        try (Stream<Path> left = Files.list(this.tmp)) {
            for (Path p : (Iterable<Path>) left::iterator) {
                Files.deleteIfExists(p); // fragments a previous run was receiving: never acknowledged
            }
        }
        this.assembly = new SharedAssembly(sessions, s3, spillS3, stateBucket, statePrefix + "uploads/", this.tmp,
                settings.parallelism(), !settings.allowOverwrite());
    }

    /**
     * What shared mode needs besides what local mode has: the shared state, the state bucket's
     * client (spills), where the state lives, and a folder of this machine for fragments in flight.
     */
    record Mode(dev.bitsbridge.proxy.state.SharedState state, S3Uploader spillS3, String stateBucket,
            String statePrefix, Path tmp) {

        SharedUploads start(UploadService.Settings settings, S3Uploader s3, UploadQuotas quotas, Executor executor,
                Clock clock) throws IOException {
            return new SharedUploads(settings, new SharedSessions(state), s3, spillS3, stateBucket, statePrefix, quotas,
                    executor, clock, tmp);
        }
    }

    private static String linkHash(String shareLinkId) {
        return shareLinkId == null ? null : SharedSessions.sha256(shareLinkId);
    }

    private static String shortId(String hash) {
        return SharedSessions.logId(hash);
    }

    private static Reply stateFailed(IOException e) {
        log.warn("the shared upload state failed: {}", e.toString());
        return Reply.fail(BitsError.UPSTREAM, "the shared upload state could not be read or written; retry");
    }

    // ---- Create-Session ----

    /** A new session, its record in the shared state and its multipart upload started. */
    Reply create(S3Location location, String shareLinkId) {
        String uploadId = null;
        try {
            if (!settings.allowOverwrite() && PartPipeline.call("HeadObject", () -> s3.exists(location))) {
                return Reply.fail(BitsError.FILE_EXISTS, "the object already exists and may not be overwritten");
            }
            String id = "{" + UUID.randomUUID().toString().toUpperCase(Locale.ROOT) + "}";
            uploadId = PartPipeline.call("CreateMultipartUpload", () -> s3.createMultipart(location));
            SharedSession s = SharedSession.open(location, linkHash(shareLinkId), settings.partSize(), clock.instant(),
                    uploadId);
            if (!sessions.create(id, s)) {
                throw new IOException("a new session id is taken");
            }
            log.info("upload session {} created for {} (shared)", dev.bitsbridge.proxy.state.LogIds.of("upload", id),
                    location);
            return Replies.created(UploadService.PROTOCOL, id);
        } catch (IOException e) {
            if (uploadId != null) {
                String u = uploadId;
                try {
                    s3.abort(location, u);
                } catch (RuntimeException ignored) {
                    // left to the bucket's lifecycle rule
                }
            }
            return stateFailed(e);
        } catch (During e) {
            return UpstreamFailures.reply(e.operation, e.cause);
        }
    }

    /** The session, if it exists and belongs to {@code location} and the link; else the answer. */
    private Object find(String sessionId, S3Location location, String shareLinkId) throws IOException {
        Read r = sessions.get(sessionId);
        if (r == null) {
            return Reply.fail(BitsError.SESSION_NOT_FOUND, "no such upload session");
        }
        SharedSession s = r.session();
        if (!s.location().equals(location)) {
            log.warn("upload session {} (for {}) was used on the URL of {}; refused",
                    shortId(SharedSessions.hash(sessionId)), s.location(), location);
            return Reply.fail(BitsError.WRONG_SESSION, "this upload session belongs to another URL");
        }
        if (s.shareLinkHash() != null && !Objects.equals(s.shareLinkHash(), linkHash(shareLinkId))) {
            log.warn("upload session {} was used with another share link (or none); refused",
                    shortId(SharedSessions.hash(sessionId)));
            return Reply.fail(BitsError.WRONG_SESSION, "this upload session belongs to another share link");
        }
        return r;
    }

    // ---- Fragment ----

    /** What to do with a fragment's body (already checked: a range matching its length, under the limits). */
    FragmentWriter beginFragment(String sessionId, S3Location location, String shareLinkId, FragmentRange range) {
        try {
            Object found = find(sessionId, location, shareLinkId);
            if (found instanceof Reply r) {
                return FragmentWriter.answer(r);
            }
            Read r = (Read) found;
            SharedSession s = r.session();
            if (!s.open()) {
                return FragmentWriter.answer(s.state() == UploadSession.State.COMPLETED && range.total() != s.total()
                        ? Reply.fail(BitsError.INVALID_ARG, "this upload is already complete")
                        : SharedAssembly.ended(s, sessionId));
            }
            if (s.total() < 0) {
                long max = Math.min(settings.maxUploadSize() > 0 ? settings.maxUploadSize() : UploadService.S3_MAX_OBJECT,
                        UploadService.S3_MAX_OBJECT);
                if (range.total() > max) {
                    return FragmentWriter.answer(Reply.fail(BitsError.TOO_LARGE,
                            "the file is larger than this server accepts (" + max + " bytes)"));
                }
            } else if (range.total() != s.total()) {
                return FragmentWriter.answer(Reply.fail(BitsError.INVALID_ARG,
                        "the total size changed within the session"));
            }
            long acked = s.acked();
            if (acked == s.total()) {
                // All bytes are in, yet open: completing failed transiently; the client resent the last fragment.
                return FragmentWriter.answer(assembly.complete(sessionId, r));
            }
            if (range.first() > acked) {
                return FragmentWriter.answer(new Reply(BitsError.RANGE_GAP, "gap: the next expected offset is " + acked,
                        Map.of("BITS-Received-Content-Range", Long.toString(acked), "BITS-Session-Id", sessionId)));
            }
            if (range.last() < acked) {
                return FragmentWriter.answer(Replies.ack(sessionId, acked, false)); // bytes already held
            }
            long newBytes = range.last() + 1 - acked;
            Reply full = quotas.reserveSpool(newBytes);
            if (full != null) {
                return FragmentWriter.answer(full);
            }
            try {
                SharedFragment body = new SharedFragment(this, sessionId, r, acked, range.last() + 1, range.total(), tmp);
                return new FragmentWriter(executor, quotas, body, acked - range.first(), newBytes);
            } catch (IOException | RuntimeException e) {
                quotas.releaseSpool(newBytes);
                throw e;
            }
        } catch (IOException e) {
            return FragmentWriter.answer(stateFailed(e));
        }
    }

    /**
     * The fragment's body is in the temporary files: its spills into S3, then the acknowledged
     * length advanced (compare-and-swap), then the answer; after the last byte, the completion.
     */
    Reply finishFragment(SharedFragment f) {
        String hash = SharedSessions.hash(f.sessionId);
        if (!f.whole()) {
            return Reply.fail(BitsError.INVALID_ARG, "the fragment's body is shorter than its Content-Range");
        }
        List<Spill> spills = new ArrayList<>();
        try {
            for (SharedFragment.Segment seg : f.segments) {
                spills.add(spill(hash, seg));
            }
            Instant now = clock.instant();
            Read r = sessions.update(hash, f.read, x -> x.total() >= 0 && x.total() != f.total ? x
                    : (x.total() < 0 ? x.sized(f.total) : x).acknowledged(f.from, f.to, spills, now));
            if (r == null) {
                dropSpills(spills);
                return Reply.fail(BitsError.SESSION_NOT_FOUND, "no such upload session");
            }
            SharedSession s = r.session();
            boolean counted = s.spills().contains(spills.get(0));
            if (!counted) {
                // Another instance acknowledged these bytes first (a resent fragment), or the
                // session ended meanwhile: answer from what the record says; our spills go.
                dropSpills(spills);
                if (!s.open()) {
                    return SharedAssembly.ended(s, f.sessionId);
                }
                if (s.total() != f.total) {
                    return Reply.fail(BitsError.INVALID_ARG, "the total size changed within the session");
                }
            }
            if (s.acked() == s.total()) {
                return assembly.complete(f.sessionId, r);
            }
            assembly.makeInBackground(hash, s);
            return Replies.ack(f.sessionId, s.acked(), false);
        } catch (IOException e) {
            dropSpills(spills);
            return stateFailed(e);
        } catch (During e) {
            dropSpills(spills);
            Reply reply = UpstreamFailures.reply(e.operation, e.cause);
            return UpstreamFailures.permanent(e.cause) ? assembly.fail(hash, reply) : reply;
        } catch (NotVerified e) {
            dropSpills(spills);
            log.error("upload session {}: {}", shortId(hash), e.getMessage());
            return assembly.fail(hash, Reply.fail(BitsError.NOT_VERIFIED,
                    "the upload could not be verified: " + e.getMessage()));
        }
    }

    /** One segment as a spill object in the state bucket, its ETag checked against the segment's MD5. */
    private Spill spill(String hash, SharedFragment.Segment seg) throws NotVerified {
        byte[] nonce = new byte[6];
        RANDOM.nextBytes(nonce);
        String key = assembly.spills(hash) + seg.start + "-" + seg.end + "-" + HexFormat.of().formatHex(nonce);
        String md5 = HexFormat.of().formatHex(seg.digest);
        String b64 = Base64.getEncoder().encodeToString(seg.digest);
        PutObjectResponse r = PartPipeline.call("PutObject",
                () -> spillS3.put(new S3Location(stateBucket, key), seg.file, seg.size(), b64, false));
        if (!PartPipeline.etagAgrees(r.eTag(), md5, PartPipeline.MD5)) {
            assembly.deleteSpill(key);
            throw new NotVerified("S3 answered ETag " + r.eTag() + " to a spill of " + seg.size()
                    + " bytes, but their MD5 is " + md5 + ": it did not store what was sent");
        }
        return new Spill(seg.start, seg.end, key, md5);
    }

    private void dropSpills(List<Spill> spills) {
        for (Spill s : spills) {
            assembly.deleteSpill(s.key());
        }
    }

    // ---- Close-Session and Cancel-Session ----

    Reply close(String sessionId, S3Location location, String shareLinkId) {
        try {
            Object found = find(sessionId, location, shareLinkId);
            if (found instanceof Reply r) {
                return r;
            }
            Read r = (Read) found;
            SharedSession s = r.session();
            Reply answer;
            if (!s.open()) {
                answer = SharedAssembly.ended(s, sessionId);
            } else if (s.total() < 0 || s.acked() < s.total()) {
                answer = Reply.fail(BitsError.INVALID_ARG, "the upload is not complete");
            } else {
                answer = assembly.complete(sessionId, r);
            }
            return answer.error() != null ? answer : Reply.ok(Map.of("BITS-Session-Id", sessionId));
        } catch (IOException e) {
            return stateFailed(e);
        }
    }

    Reply cancel(String sessionId, S3Location location, String shareLinkId) {
        try {
            Object found = find(sessionId, location, shareLinkId);
            if (found instanceof Reply r) {
                return r.error() == BitsError.SESSION_NOT_FOUND ? Reply.ok(Map.of()) : r;
            }
            String hash = SharedSessions.hash(sessionId);
            Read r = sessions.update(hash, (Read) found, SharedSession::cancelled);
            if (r != null && r.session().state() == UploadSession.State.CANCELLED) {
                // The record is a tombstone now (a racing fragment cannot revive it); then S3's side goes.
                assembly.cleanUp(hash, r.session());
                log.info("upload session {} cancelled", shortId(hash));
            }
            return Reply.ok(Map.of("BITS-Session-Id", sessionId));
        } catch (IOException e) {
            return stateFailed(e);
        }
    }

    /** The reply of a completed session, or null; an {@link java.io.UncheckedIOException} if the state cannot be read. */
    Map<String, Object> reply(String sessionId) {
        try {
            Read r = sessions.get(sessionId);
            return r == null ? null : r.session().replyDocument();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Sessions idle longer than the TTL: an open one is cancelled (tombstone, multipart upload
     * aborted, spills deleted); one that ended is forgotten. Every instance sweeps; doing it twice is
     * harmless.
     */
    void sweep() {
        Instant cutoff = clock.instant().minus(settings.sessionTtl());
        try {
            for (String hash : sessions.hashes()) {
                try {
                    Read r = sessions.getByHash(hash);
                    if (r == null || r.session().lastActivity().isAfter(cutoff)) {
                        continue;
                    }
                    if (r.session().open()) {
                        Read c = sessions.update(hash, r, SharedSession::cancelled);
                        if (c != null && !c.session().open()) {
                            assembly.cleanUp(hash, c.session());
                            log.info("upload session {} expired after {} idle", shortId(hash), settings.sessionTtl());
                        }
                    } else {
                        assembly.cleanUp(hash, r.session());
                        sessions.delete(hash);
                    }
                } catch (IOException | RuntimeException e) {
                    log.warn("upload session {}: clean-up failed: {}", shortId(hash), e.toString());
                }
            }
        } catch (IOException | RuntimeException e) {
            log.warn("upload sessions not swept: {}", e.toString());
        }
    }

    @Override
    public void close() {
        assembly.close();
        spillS3.close();
    }
}
