package dev.bitsbridge.proxy.upload;

import dev.bitsbridge.proxy.s3.S3Location;
import dev.bitsbridge.proxy.upload.PartPipeline.NotVerified;
import dev.bitsbridge.proxy.upload.UpstreamFailures.During;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The BITS Upload Protocol on top of S3: sessions bound to the object they write (and to the share
 * link that created them), in-order fragments spooled to disk and acknowledged once they are on
 * it, parts uploaded and verified in the background by {@link PartUploader} as soon as they are
 * full (a few at a time), and completion ({@link PartPipeline}) after the last byte once every part
 * is in, with {@code If-None-Match: *} so that the first upload of a key wins
 * and an existing object is never overwritten (unless {@code --allow-overwrite}). Whether the
 * endpoint honours that header is probed first ({@link ConditionalWriteProbe}); where it does not,
 * uploads are refused rather than silently overwriting. Quotas bound the sessions, the spool and
 * the fragments. Every step is recorded in the session's state files before it is acknowledged,
 * and S3 (ListParts) is the truth for the parts, so a session survives a crash of the proxy at any
 * point. In shared mode ({@code --state-bucket}) the packets go to {@link SharedUploads} instead
 * (sessions in S3, any packet on any instance); the checks before a session is touched are common.
 *
 * <p>Threading: protocol steps run on a small pool of upload threads (file and S3 I/O block); the
 * work of one session is serialised by locking the session (a step that waits for parts releases
 * the lock while it waits). Futures complete on those threads.
 */
public final class UploadService implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(UploadService.class);
    static final String PROTOCOL = "{7df0354d-249b-430f-820d-3d2a9bef4931}";
    /** S3's largest object. */
    static final long S3_MAX_OBJECT = 5L * 1024 * 1024 * 1024 * 1024;

    /**
     * Upload settings from the configuration; {@code prefix} is where the conditional-write probe
     * writes (under {@code .bitsbridge/probe/}); quotas of 0 or less mean unlimited.
     */
    public record Settings(long partSize, long maxUploadSize, boolean allowOverwrite, Duration sessionTtl,
            int maxSessions, long maxSpoolBytes, long maxFragmentSize, String bucket, String prefix,
            int parallelism) {

        /** Without quotas and probe location (tests); 8 parts in flight per session (the default). */
        public Settings(long partSize, long maxUploadSize, boolean allowOverwrite, Duration sessionTtl) {
            this(partSize, maxUploadSize, allowOverwrite, sessionTtl, 0, 0, 0, null, "", 8);
        }
    }

    private final Settings settings;
    private final UploadSessionStore store;
    private final S3Uploader s3;
    private final ExecutorService executor;
    private final ScheduledExecutorService sweeper;
    private final Clock clock;
    private final SessionRecovery recovery;
    private final PartPipeline parts;
    private final PartUploader uploader;
    private final SessionEnds ends;
    private final ConditionalWriteProbe probe;
    private final UploadQuotas quotas;
    /** Shared mode ({@code --state-bucket}): sessions in S3, any packet on any instance; null in local mode. */
    private final SharedUploads shared;

    /** Uploads for a proxy in bucket mode; state under {@code config.stateDir()}, sessions timed by {@code clock}. */
    public static UploadService create(dev.bitsbridge.proxy.config.ProxyConfig config,
            software.amazon.awssdk.auth.credentials.AwsCredentialsProvider credentials, Clock clock)
            throws IOException, java.security.GeneralSecurityException {
        return create(config, credentials, clock, null);
    }

    /** @param sharedState the cluster's shared state ({@code --state-bucket}), or null: sessions in {@code --state-dir} */
    public static UploadService create(dev.bitsbridge.proxy.config.ProxyConfig config,
            software.amazon.awssdk.auth.credentials.AwsCredentialsProvider credentials, Clock clock,
            dev.bitsbridge.proxy.state.SharedState sharedState) throws IOException, java.security.GeneralSecurityException {
        Settings settings = new Settings(config.uploadPartSize(), config.maxUploadSize(), config.allowOverwrite(),
                config.uploadSessionTtl(), config.maxUploadSessions(), config.maxSpoolBytes(),
                config.maxFragmentSize(), config.bucket(), config.prefix(), config.uploadParallelism());
        javax.net.ssl.TrustManagerFactory trust = S3Uploader.trust(config.caBundle());
        SharedUploads.Mode mode = null;
        if (sharedState != null) {
            String stateBucket = config.sharedState().bucket();
            mode = new SharedUploads.Mode(sharedState,
                    new S3Uploader(config.toBuilder().bucket(stateBucket).build(), credentials, trust), stateBucket,
                    config.sharedState().prefix(), config.stateDir().resolve("upload-fragments"));
        }
        return new UploadService(settings, new UploadSessionStore(config.stateDir()),
                new S3Uploader(config, credentials, trust), clock, mode);
    }

    UploadService(Settings settings, UploadSessionStore store, S3Uploader s3, Clock clock) throws IOException {
        this(settings, store, s3, clock, null);
    }

    UploadService(Settings settings, UploadSessionStore store, S3Uploader s3, Clock clock, SharedUploads.Mode mode)
            throws IOException {
        this.settings = settings;
        this.store = store;
        this.s3 = s3;
        this.clock = clock;
        this.recovery = new SessionRecovery(store, s3);
        this.uploader = new PartUploader(store, s3, settings.parallelism());
        this.parts = new PartPipeline(store, s3, uploader);
        this.ends = new SessionEnds(store, s3, uploader);
        this.quotas = new UploadQuotas(store, settings.maxSessions(), settings.maxSpoolBytes());
        this.probe = settings.bucket() == null ? null : new ConditionalWriteProbe(s3, settings.bucket(),
                settings.prefix());
        // Shared mode: a fragment's finish waits on S3 (its spill and the record), not on a local fsync.
        this.executor = Executors.newFixedThreadPool(mode == null ? 4 : 16, daemon("bitsbridge-upload"));
        this.shared = mode == null ? null : mode.start(settings, s3, quotas, executor, clock);
        this.sweeper = Executors.newSingleThreadScheduledExecutor(daemon("bitsbridge-upload-sweeper"));
        sweeper.scheduleWithFixedDelay(this::sweep, 0, 1, TimeUnit.HOURS);
        if (probe != null && !settings.allowOverwrite()) {
            // At start, so the log says at once whether uploads are exactly-once here.
            sweeper.execute(probe::checkQuietly);
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    Executor executor() {
        return executor;
    }

    UploadQuotas quotas() {
        return quotas;
    }

    private <T> CompletableFuture<T> async(Supplier<T> work) {
        return CompletableFuture.supplyAsync(work, executor);
    }

    /** BITS upload parts being sent to S3 now, all sessions together (a metric). */
    public int partsInFlight() {
        return uploader.partsInFlight();
    }

    /** Whether uploads are exactly-once here, for /_bitsbridge/ready and the log. */
    public String conditionalWrites() {
        if (settings.allowOverwrite()) {
            return "not needed (--allow-overwrite)";
        }
        return probe == null ? "not checked" : probe.status();
    }

    // ---- Create-Session ----

    /** @param shareLinkId the id of the share link the request came with, or null; the session is bound to it */
    public CompletableFuture<Reply> createSession(S3Location location, String supportedProtocols, String shareLinkId) {
        if (supportedProtocols == null || !supportedProtocols.toLowerCase(Locale.ROOT).contains(PROTOCOL)) {
            return CompletableFuture.completedFuture(Reply.fail(BitsError.PROTOCOL_NOT_SUPPORTED,
                    "this server speaks BITS upload protocol " + PROTOCOL));
        }
        return async(() -> {
            try {
                if (!settings.allowOverwrite() && probe != null
                        && probe.check() != ConditionalWriteProbe.Result.HONOURED) {
                    return Reply.fail(BitsError.UPLOADS_REFUSED, "uploads are refused: " + probe.status()
                            + "; exactly-once cannot be guaranteed (start with --allow-overwrite to accept that a"
                            + " later upload replaces an object)");
                }
                if (shared != null) {
                    return shared.create(location, shareLinkId);
                }
                Reply busy = quotas.sessionsFull();
                if (busy != null) {
                    return busy;
                }
                if (!settings.allowOverwrite() && PartPipeline.call("HeadObject", () -> s3.exists(location))) {
                    return Reply.fail(BitsError.FILE_EXISTS, "the object already exists and may not be overwritten");
                }
                String id = "{" + UUID.randomUUID().toString().toUpperCase(Locale.ROOT) + "}";
                UploadSession s = new UploadSession(id, location, settings.partSize(), clock.instant(), shareLinkId);
                store.add(s);
                log.info("upload session {} created for {}", dev.bitsbridge.proxy.state.LogIds.of("upload", id), location);
                return Replies.created(PROTOCOL, id);
            } catch (IOException e) {
                log.error("cannot create an upload session: {}", e.toString());
                return Reply.fail(BitsError.DISK_FULL, "the upload state cannot be written");
            } catch (During e) {
                return UpstreamFailures.reply(e.operation, e.cause);
            }
        });
    }

    /**
     * The session, if it exists and belongs to {@code location} (null: any) and, when a share link
     * created it, to that link; else the answer to give.
     */
    private Object session(String sessionId, S3Location location, String shareLinkId) {
        UploadSession s = store.get(sessionId);
        if (s == null) {
            return Reply.fail(BitsError.SESSION_NOT_FOUND, "no such upload session");
        }
        if (location != null && !s.location.equals(location)) {
            log.warn("upload session {} (for {}) was used on the URL of {}; refused", s.logId(), s.location, location);
            return Reply.fail(BitsError.WRONG_SESSION, "this upload session belongs to another URL");
        }
        if (s.shareLinkId != null && !Objects.equals(s.shareLinkId, shareLinkId)) {
            // The link id is a capability's name: logged as the session's short hash only.
            log.warn("upload session {} was used with another share link (or none); refused", s.logId());
            return Reply.fail(BitsError.WRONG_SESSION, "this upload session belongs to another share link");
        }
        return s;
    }

    // ---- Fragment ----

    /**
     * Starts a fragment for the object at {@code location}: decides what to do with its body (see
     * {@link FragmentWriter}).
     */
    public CompletableFuture<FragmentWriter> beginFragment(String sessionId, S3Location location,
            String shareLinkId, FragmentRange range, long contentLength) {
        Object found = shared != null ? null : session(sessionId, location, shareLinkId);
        if (found instanceof Reply r) {
            return CompletableFuture.completedFuture(FragmentWriter.answer(r));
        }
        if (range == null || contentLength != range.length()) {
            return CompletableFuture.completedFuture(FragmentWriter.answer(Reply.fail(BitsError.INVALID_ARG,
                    "a fragment needs Content-Range: bytes a-b/total matching its Content-Length")));
        }
        if (settings.maxFragmentSize() > 0 && contentLength > settings.maxFragmentSize()) {
            // BITS answers a 413 by sending smaller fragments.
            return CompletableFuture.completedFuture(FragmentWriter.answer(Reply.fail(BitsError.TOO_LARGE,
                    "fragments may be at most " + settings.maxFragmentSize() + " bytes (--max-fragment-size)")));
        }
        if (shared != null) {
            return async(() -> shared.beginFragment(sessionId, location, shareLinkId, range));
        }
        UploadSession s = (UploadSession) found;
        return async(() -> {
            synchronized (s) {
                try {
                    return plan(s, range);
                } catch (IOException e) {
                    log.error("upload session {}: {}", s.logId(), e.toString());
                    return FragmentWriter.answer(Reply.fail(BitsError.DISK_FULL, "the upload state cannot be written"));
                } catch (During e) {
                    return FragmentWriter.answer(ends.upstreamFailed(s, e));
                } catch (NotVerified e) {
                    return FragmentWriter.answer(ends.notVerified(s, e));
                }
            }
        });
    }

    private FragmentWriter plan(UploadSession s, FragmentRange range) throws IOException, NotVerified {
        if (!s.open()) {
            // A resent last fragment of a completed upload (its ack was lost): the object is there.
            return FragmentWriter.answer(s.state() == UploadSession.State.COMPLETED && range.total() != s.total()
                    ? Reply.fail(BitsError.INVALID_ARG, "this upload is already complete") : SessionEnds.ended(s));
        }
        if (s.spool.writing) {
            return FragmentWriter.answer(Reply.fail(BitsError.BUSY,
                    "another fragment of this upload is being received; retry"));
        }
        if (s.needsReconcile()) {
            Reply r = recovery.reconcile(s, uploader);
            if (r != null) {
                return FragmentWriter.answer(r);
            }
        }
        PartUploader.throwIfPermanent(s);
        if (s.total() < 0) {
            long max = Math.min(settings.maxUploadSize() > 0 ? settings.maxUploadSize() : S3_MAX_OBJECT, S3_MAX_OBJECT);
            if (range.total() > max) {
                return FragmentWriter.answer(Reply.fail(BitsError.TOO_LARGE,
                        "the file is larger than this server accepts (" + max + " bytes)"));
            }
            s.sized(range.total());
            store.save(s);
        } else if (range.total() != s.total()) {
            return FragmentWriter.answer(Reply.fail(BitsError.INVALID_ARG, "the total size changed within the session"));
        }
        long received = s.spool.received;
        if (received == s.total()) {
            // All bytes are in, yet the session is open: completing failed transiently (a 5xx
            // answered the last fragment, which the client now resends). Complete again.
            return FragmentWriter.answer(completeSafely(s));
        }
        if (range.first() > received) {
            return FragmentWriter.answer(new Reply(BitsError.RANGE_GAP, "gap: the next expected offset is " + received,
                    Map.of("BITS-Received-Content-Range", Long.toString(received), "BITS-Session-Id", s.id)));
        }
        if (range.last() < received) {
            // Bytes we already hold: ignored, acknowledged with where we are.
            return FragmentWriter.answer(Replies.ack(s, received, false));
        }
        long newBytes = range.last() + 1 - received;
        Reply full = quotas.reserveSpool(newBytes);
        if (full != null) {
            return FragmentWriter.answer(full);
        }
        s.spool.writing = true;
        return new FragmentWriter(this, s, received - range.first(), newBytes);
    }

    /**
     * Appends body bytes to the spool (the fragment's body, after skipping bytes already held);
     * each full part is queued for its background upload.
     */
    void append(UploadSession s, ByteBuffer[] buffers) throws IOException {
        synchronized (s) {
            for (ByteBuffer b : buffers) {
                s.spool.append(s, store, b, part -> uploader.submit(s, part));
            }
        }
    }

    /** The client left mid-body: what was written stays (it is valid and counted); the file is closed. */
    void abandon(UploadSession s) {
        synchronized (s) {
            s.spool.writing = false;
            s.spool.closeFile();
        }
    }

    /**
     * The fragment's body is in: made durable, then acknowledged (the parts it filled upload in the
     * background); after the last byte, the upload is completed instead. The ack waits only while
     * more than twice {@code --upload-parallelism} parts are pending, which bounds the spool; a part
     * that keeps failing is reported (503) once that many are held up.
     */
    Reply finishFragment(UploadSession s) {
        synchronized (s) {
            s.spool.writing = false;
            return ends.answered(s, () -> {
                s.spool.sync();
                s.touched(clock.instant());
                PartUploader.throwIfPermanent(s);
                long received = s.spool.received;
                if (received < s.total()) {
                    int most = 2 * uploader.parallelism();
                    uploader.retryFailed(s);
                    uploader.awaitPending(s, most);
                    PartUploader.throwIfPermanent(s);
                    SessionSpool sp = s.spool;
                    if (!sp.failed.isEmpty() && sp.pending() + sp.failed.size() > most) {
                        throw sp.lastFailure; // S3 keeps failing: the client backs off and resends
                    }
                    store.save(s); // also makes the new spool files' names durable (the folder is synced)
                    return Replies.ack(s, received, false);
                }
                return complete(s);
            });
        }
    }

    /** {@link #complete}, with its failures turned into answers. Called with the session locked. */
    private Reply completeSafely(UploadSession s) {
        return ends.answered(s, () -> complete(s));
    }

    /** All bytes are in: complete, verified; or discard this upload if the key was taken. */
    private Reply complete(UploadSession s) throws IOException, NotVerified, InterruptedException {
        if (parts.complete(s, !settings.allowOverwrite()) == PartPipeline.Completion.KEY_EXISTS) {
            return lostRace(s);
        }
        store.save(s);
        store.dropSpool(s);
        log.info("upload session {} completed {} ({} bytes, verified)", s.logId(), s.location, s.total());
        return Replies.ack(s, s.total(), true);
    }

    /** Another upload of the key completed first: this one is discarded, the object untouched. */
    private Reply lostRace(UploadSession s) throws IOException {
        if (recovery.isOurs(s)) {
            // This session completed before a crash lost the record of it: it is the winner.
            s.completed(PartPipeline.call("HeadObject", () -> s3.etag(s.location)), null);
            store.save(s);
            store.dropSpool(s);
            return Replies.ack(s, s.total(), true);
        }
        log.info("upload session {}: {} already exists; discarding this upload", s.logId(), s.location);
        return ends.fail(s, Reply.fail(BitsError.FILE_EXISTS, "another upload of this object completed first"));
    }

    // ---- Close-Session and Cancel-Session ----

    /**
     * 200 once the object is in S3, verified. If all bytes are in but the upload is not complete
     * (the last fragment's completion failed transiently, or is still waiting for parts), this
     * completes it, waiting for the parts in flight; a part that failed again answers 503 and the
     * client resends Close-Session.
     */
    public CompletableFuture<Reply> closeSession(String sessionId, S3Location location, String shareLinkId) {
        if (shared != null) {
            return async(() -> shared.close(sessionId, location, shareLinkId));
        }
        Object found = session(sessionId, location, shareLinkId);
        if (found instanceof Reply r) {
            return CompletableFuture.completedFuture(r);
        }
        UploadSession s = (UploadSession) found;
        return async(() -> {
            synchronized (s) {
                Reply r = !s.open() ? SessionEnds.ended(s) : ends.answered(s, () -> {
                    if (s.needsReconcile()) {
                        Reply lost = recovery.reconcile(s, uploader);
                        if (lost != null) {
                            return lost;
                        }
                    }
                    PartUploader.throwIfPermanent(s);
                    if (s.total() < 0 || s.spool.received < s.total()) {
                        return Reply.fail(BitsError.INVALID_ARG, "the upload is not complete");
                    }
                    return complete(s);
                });
                return r.error() != null ? r : Reply.ok(Map.of("BITS-Session-Id", s.id));
            }
        });
    }

    public CompletableFuture<Reply> cancelSession(String sessionId, S3Location location, String shareLinkId) {
        if (shared != null) {
            return async(() -> shared.cancel(sessionId, location, shareLinkId));
        }
        Object found = session(sessionId, location, shareLinkId);
        if (found instanceof Reply r) {
            // Idempotent: cancelling what is gone is done.
            return CompletableFuture.completedFuture(r.error() == BitsError.SESSION_NOT_FOUND ? Reply.ok(Map.of()) : r);
        }
        UploadSession s = (UploadSession) found;
        return async(() -> {
            synchronized (s) {
                try {
                    ends.discard(s);
                    log.info("upload session {} cancelled", s.logId());
                    return Reply.ok(Map.of("BITS-Session-Id", s.id));
                } catch (IOException e) {
                    return Reply.fail(BitsError.DISK_FULL, "the upload state cannot be written");
                } catch (During e) {
                    return UpstreamFailures.reply(e.operation, e.cause);
                }
            }
        });
    }

    /** The reply of a completed session (for BITS upload-reply jobs), or null; fails if shared state cannot be read. */
    public CompletableFuture<Map<String, Object>> reply(String idWithoutBraces) {
        String id = "{" + idWithoutBraces + "}";
        if (shared != null) {
            return async(() -> shared.reply(id));
        }
        UploadSession s = store.get(id);
        return CompletableFuture.completedFuture(s == null ? null : s.replyDocument());
    }

    /** Aborts sessions idle longer than the TTL and forgets finished ones after it. */
    void sweep() {
        if (shared != null) {
            shared.sweep();
            return;
        }
        ends.sweep(clock.instant().minus(settings.sessionTtl()), settings.sessionTtl());
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
        executor.shutdown();
        if (shared != null) {
            shared.close();
        }
        uploader.close(); // parts cut short stay on disk, recorded nowhere: uploaded again after a restart
        try {
            if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
                executor.shutdownNow(); // a step still waiting for parts that will not come
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        s3.close();
    }
}
