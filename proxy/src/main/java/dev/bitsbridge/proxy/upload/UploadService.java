package dev.bitsbridge.proxy.upload;

import dev.bitsbridge.proxy.s3.S3Location;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
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
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The BITS Upload Protocol on top of S3: sessions, in-order fragments spooled to disk, parts of a
 * fixed size uploaded as soon as they are full, and completion with {@code If-None-Match: *} so
 * that the first upload of a key wins and an existing object is never overwritten (unless
 * {@code --allow-overwrite}). Every step is recorded in the session's state files before it is
 * acknowledged, and S3 (ListParts) is the truth for the parts, so a session survives a crash of
 * the proxy at any point.
 *
 * <p>Threading: protocol steps run on a small pool of upload threads (file and S3 I/O block); the
 * work of one session is serialised by locking the session. Futures complete on those threads.
 */
public final class UploadService implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(UploadService.class);
    static final String PROTOCOL = "{7df0354d-249b-430f-820d-3d2a9bef4931}";
    /** S3's largest object. */
    static final long S3_MAX_OBJECT = 5L * 1024 * 1024 * 1024 * 1024;

    /** The answer to one packet: an error, or the headers of the Ack. */
    public record Reply(BitsError error, String message, Map<String, String> headers) {
        static Reply ok(Map<String, String> headers) {
            return new Reply(null, null, headers);
        }

        static Reply fail(BitsError error, String message) {
            return new Reply(error, message, Map.of());
        }
    }

    /** Upload settings from the configuration. */
    public record Settings(long partSize, long maxUploadSize, boolean allowOverwrite, Duration sessionTtl) {
    }

    private final Settings settings;
    private final UploadSessionStore store;
    private final S3Uploader s3;
    private final ExecutorService executor;
    private final ScheduledExecutorService sweeper;
    private final Clock clock;
    private final SessionRecovery recovery;

    /** Uploads for a proxy in bucket mode; state under {@code config.stateDir()}. */
    public static UploadService create(dev.bitsbridge.proxy.config.ProxyConfig config,
            software.amazon.awssdk.auth.credentials.AwsCredentialsProvider credentials)
            throws IOException, java.security.GeneralSecurityException {
        return create(config, credentials, Clock.systemUTC());
    }

    /** As the two-argument {@code create}, with upload sessions timed by {@code clock}. */
    public static UploadService create(dev.bitsbridge.proxy.config.ProxyConfig config,
            software.amazon.awssdk.auth.credentials.AwsCredentialsProvider credentials, Clock clock)
            throws IOException, java.security.GeneralSecurityException {
        if (config.uploadPartSize() < 5L * 1024 * 1024) {
            throw new IllegalArgumentException("the upload part size must be at least 5 MiB (S3's minimum)");
        }
        Settings settings = new Settings(config.uploadPartSize(), config.maxUploadSize(), config.allowOverwrite(),
                config.uploadSessionTtl());
        return new UploadService(settings, new UploadSessionStore(config.stateDir()),
                new S3Uploader(config, credentials, S3Uploader.trust(config.caBundle())), clock);
    }

    UploadService(Settings settings, UploadSessionStore store, S3Uploader s3, Clock clock) {
        this.settings = settings;
        this.store = store;
        this.s3 = s3;
        this.clock = clock;
        this.recovery = new SessionRecovery(store, s3);
        this.executor = Executors.newFixedThreadPool(4, daemon("bitsbridge-upload"));
        this.sweeper = Executors.newSingleThreadScheduledExecutor(daemon("bitsbridge-upload-sweeper"));
        sweeper.scheduleWithFixedDelay(this::sweep, 0, 1, TimeUnit.HOURS);
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

    private <T> CompletableFuture<T> async(Supplier<T> work) {
        return CompletableFuture.supplyAsync(work, executor);
    }

    // ---- Create-Session ----

    public CompletableFuture<Reply> createSession(S3Location location, String supportedProtocols) {
        if (supportedProtocols == null || !supportedProtocols.toLowerCase(java.util.Locale.ROOT).contains(PROTOCOL)) {
            return CompletableFuture.completedFuture(Reply.fail(BitsError.PROTOCOL_NOT_SUPPORTED,
                    "this server speaks BITS upload protocol " + PROTOCOL));
        }
        return async(() -> {
            try {
                if (!settings.allowOverwrite() && s3.exists(location)) {
                    return Reply.fail(BitsError.FILE_EXISTS, "the object already exists and may not be overwritten");
                }
                String id = "{" + UUID.randomUUID().toString().toUpperCase(java.util.Locale.ROOT) + "}";
                UploadSession s = new UploadSession(id, location, settings.partSize(), clock.instant());
                store.add(s);
                log.info("upload session {} created for {}", id, location);
                Map<String, String> h = new LinkedHashMap<>();
                h.put("BITS-Protocol", PROTOCOL);
                h.put("BITS-Session-Id", id);
                h.put("Accept-Encoding", "identity");
                return Reply.ok(h);
            } catch (IOException e) {
                log.error("cannot create an upload session: {}", e.toString());
                return Reply.fail(BitsError.DISK_FULL, "the upload state cannot be written");
            } catch (SdkException e) {
                return upstream(e);
            }
        });
    }

    // ---- Fragment ----

    /** Starts a fragment: decides what to do with its body (see {@link FragmentWriter}). */
    public CompletableFuture<FragmentWriter> beginFragment(String sessionId, FragmentRange range, long contentLength) {
        UploadSession s = store.get(sessionId);
        if (s == null) {
            return CompletableFuture.completedFuture(FragmentWriter.answer(Reply.fail(BitsError.SESSION_NOT_FOUND,
                    "no such upload session")));
        }
        if (range == null || contentLength != range.length()) {
            return CompletableFuture.completedFuture(FragmentWriter.answer(Reply.fail(BitsError.INVALID_ARG,
                    "a fragment needs Content-Range: bytes a-b/total matching its Content-Length")));
        }
        return async(() -> {
            synchronized (s) {
                try {
                    return plan(s, range);
                } catch (IOException e) {
                    log.error("upload session {}: {}", s.id, e.toString());
                    return FragmentWriter.answer(Reply.fail(BitsError.DISK_FULL, "the upload state cannot be written"));
                } catch (SdkException e) {
                    return FragmentWriter.answer(upstream(e));
                }
            }
        });
    }

    private FragmentWriter plan(UploadSession s, FragmentRange range) throws IOException {
        switch (s.state) {
            case COMPLETED -> {
                // A resent last fragment (its ack was lost): the object is there, ack it again.
                return FragmentWriter.answer(range.total() == s.total ? ack(s, s.total, true)
                        : Reply.fail(BitsError.INVALID_ARG, "this upload is already complete"));
            }
            case FAILED -> {
                return FragmentWriter.answer(Reply.fail(BitsError.FILE_EXISTS,
                        "another upload of this object completed first"));
            }
            case CANCELLED -> {
                return FragmentWriter.answer(Reply.fail(BitsError.SESSION_NOT_FOUND, "the session was cancelled"));
            }
            default -> {
            }
        }
        if (s.needsReconcile) {
            Reply r = recovery.reconcile(s);
            if (r != null) {
                return FragmentWriter.answer(r);
            }
        }
        if (s.total < 0) {
            long max = Math.min(settings.maxUploadSize() > 0 ? settings.maxUploadSize() : S3_MAX_OBJECT, S3_MAX_OBJECT);
            if (range.total() > max) {
                return FragmentWriter.answer(Reply.fail(BitsError.TOO_LARGE,
                        "the file is larger than this server accepts (" + max + " bytes)"));
            }
            s.total = range.total();
            store.save(s);
        } else if (range.total() != s.total) {
            return FragmentWriter.answer(Reply.fail(BitsError.INVALID_ARG, "the total size changed within the session"));
        }
        long received = received(s);
        if (range.first() > received) {
            return FragmentWriter.answer(new Reply(BitsError.RANGE_GAP, "gap: the next expected offset is " + received,
                    Map.of("BITS-Received-Content-Range", Long.toString(received), "BITS-Session-Id", s.id)));
        }
        if (range.last() < received) {
            // Bytes we already hold: ignored, acknowledged with where we are.
            return FragmentWriter.answer(ack(s, received, false));
        }
        FileChannel ch = FileChannel.open(store.spool(s), StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        return new FragmentWriter(this, s, range, received - range.first(), ch);
    }

    private long received(UploadSession s) throws IOException {
        return s.partsBytes() + Files.size(store.spool(s));
    }

    /** Appends body bytes to the spool (the fragment's body, after skipping bytes already held). */
    void append(FileChannel ch, ByteBuffer[] buffers) throws IOException {
        for (ByteBuffer b : buffers) {
            while (b.hasRemaining()) {
                ch.write(b);
            }
        }
    }

    /** The fragment's body is in: make it durable, upload full parts, complete after the last byte. */
    Reply finishFragment(UploadSession s, FragmentRange range, FileChannel ch) {
        synchronized (s) {
            try {
                ch.force(false);
                ch.close();
                s.lastActivity = clock.instant();
                while (Files.size(store.spool(s)) >= s.partSize && received(s) < s.total) {
                    cutPart(s);
                }
                long received = received(s);
                if (received < s.total) {
                    store.save(s);
                    return ack(s, received, false);
                }
                return complete(s);
            } catch (IOException | NoSuchAlgorithmException e) {
                log.error("upload session {}: {}", s.id, e.toString());
                return Reply.fail(BitsError.DISK_FULL, "the upload state cannot be written");
            } catch (SdkException e) {
                return upstream(e);
            }
        }
    }

    /** Uploads the first partSize bytes of the spool as the next part, then moves the spool on. */
    private void cutPart(UploadSession s) throws IOException, NoSuchAlgorithmException {
        if (s.uploadId == null) {
            s.uploadId = s3.createMultipart(s.location);
            store.save(s);
        }
        Path dir = store.dir(s);
        Path current = store.spool(s);
        int number = s.parts.size() + 1;
        String etag = s3.uploadPart(s.location, s.uploadId, number, current, s.partSize);
        SpoolFiles.writeTail(current, s.partSize, SpoolFiles.file(dir, s.partsBytes() + s.partSize));
        s.parts.add(new UploadSession.Part(number, etag));
        store.save(s);
        Files.deleteIfExists(current);
    }

    /** All bytes are in: one PUT for a single-part object, else the last part and completion. */
    private Reply complete(UploadSession s) throws IOException, NoSuchAlgorithmException {
        boolean ifNoneMatch = !settings.allowOverwrite();
        Path spool = store.spool(s);
        long rest = Files.size(spool);
        try {
            if (s.uploadId == null) {
                PutObjectResponse r = s3.put(s.location, spool, rest, ifNoneMatch);
                s.resultEtag = r.eTag();
                s.resultVersionId = r.versionId();
            } else {
                if (rest > 0) {
                    int number = s.parts.size() + 1;
                    String etag = s3.uploadPart(s.location, s.uploadId, number, spool, rest);
                    s.parts.add(new UploadSession.Part(number, etag));
                    // The spool's bytes are now a part: record that before anything else.
                    SpoolFiles.writeTail(spool, rest, SpoolFiles.file(store.dir(s), s.partsBytes()));
                    store.save(s);
                    Files.deleteIfExists(spool);
                }
                CompleteMultipartUploadResponse r = s3.complete(s.location, s.uploadId, s.parts, ifNoneMatch);
                s.resultEtag = r.eTag();
                s.resultVersionId = r.versionId();
            }
        } catch (S3Exception e) {
            if (e.statusCode() == 412 || e.statusCode() == 409) {
                return lostRace(s, e);
            }
            throw e;
        }
        s.state = UploadSession.State.COMPLETED;
        store.save(s);
        store.dropSpool(s);
        log.info("upload session {} completed {} ({} bytes)", s.id, s.location, s.total);
        return ack(s, s.total, true);
    }

    /** Another upload of the key completed first: this one is discarded, the object untouched. */
    private Reply lostRace(UploadSession s, S3Exception e) throws IOException, NoSuchAlgorithmException {
        if (recovery.isOurs(s)) {
            // This session completed before a crash lost the record of it: it is the winner.
            s.state = UploadSession.State.COMPLETED;
            s.resultEtag = s3.etag(s.location);
            store.save(s);
            store.dropSpool(s);
            return ack(s, s.total, true);
        }
        log.info("upload session {}: {} already exists (S3 {}); discarding this upload", s.id, s.location, e.statusCode());
        if (s.uploadId != null) {
            try {
                s3.abort(s.location, s.uploadId);
            } catch (SdkException abortFailed) {
                log.warn("upload session {}: abort failed: {}", s.id, abortFailed.getClass().getSimpleName());
            }
        }
        s.state = UploadSession.State.FAILED;
        store.save(s);
        store.dropSpool(s);
        return Reply.fail(BitsError.FILE_EXISTS, "another upload of this object completed first");
    }

    private Reply ack(UploadSession s, long received, boolean complete) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("BITS-Session-Id", s.id);
        h.put("BITS-Received-Content-Range", Long.toString(received));
        if (complete) {
            h.put(FragmentWriter.REPLY_MARKER, replyPath(s));
        }
        return Reply.ok(h);
    }

    static String replyPath(UploadSession s) {
        return "/_bitsbridge/uploads/" + s.id.replace("{", "").replace("}", "") + "/reply";
    }

    // ---- Close-Session and Cancel-Session ----

    public CompletableFuture<Reply> closeSession(String sessionId) {
        UploadSession s = store.get(sessionId);
        if (s == null) {
            return CompletableFuture.completedFuture(Reply.fail(BitsError.SESSION_NOT_FOUND, "no such upload session"));
        }
        return async(() -> {
            synchronized (s) {
                if (s.state == UploadSession.State.COMPLETED) {
                    return Reply.ok(Map.of("BITS-Session-Id", s.id));
                }
                if (s.state == UploadSession.State.FAILED) {
                    return Reply.fail(BitsError.FILE_EXISTS, "another upload of this object completed first");
                }
                return Reply.fail(BitsError.INVALID_ARG, "the upload is not complete");
            }
        });
    }

    public CompletableFuture<Reply> cancelSession(String sessionId) {
        UploadSession s = store.get(sessionId);
        if (s == null) {
            // Idempotent: cancelling what is gone is done.
            return CompletableFuture.completedFuture(Reply.ok(Map.of()));
        }
        return async(() -> {
            synchronized (s) {
                try {
                    discard(s);
                    log.info("upload session {} cancelled", s.id);
                    return Reply.ok(Map.of("BITS-Session-Id", s.id));
                } catch (IOException e) {
                    return Reply.fail(BitsError.DISK_FULL, "the upload state cannot be written");
                } catch (SdkException e) {
                    return upstream(e);
                }
            }
        });
    }

    private void discard(UploadSession s) throws IOException {
        if (s.uploadId != null && s.state == UploadSession.State.OPEN) {
            s3.abort(s.location, s.uploadId);
        }
        s.state = UploadSession.State.CANCELLED;
        store.remove(s);
    }

    /** The reply of a completed session (for BITS upload-reply jobs), or null. */
    public Map<String, Object> reply(String idWithoutBraces) {
        UploadSession s = store.get("{" + idWithoutBraces + "}");
        if (s == null || s.state != UploadSession.State.COMPLETED) {
            return null;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("key", s.location.key());
        m.put("etag", s.resultEtag);
        m.put("versionId", s.resultVersionId);
        m.put("size", s.total);
        return m;
    }

    /** Aborts sessions idle longer than the TTL and forgets finished ones after it. */
    void sweep() {
        Instant cutoff = clock.instant().minus(settings.sessionTtl());
        for (UploadSession s : store.all()) {
            synchronized (s) {
                if (s.lastActivity.isAfter(cutoff)) {
                    continue;
                }
                try {
                    discard(s);
                    log.info("upload session {} expired after {} idle", s.id, settings.sessionTtl());
                } catch (IOException | SdkException e) {
                    log.warn("upload session {}: clean-up failed: {}", s.id, e.getClass().getSimpleName());
                }
            }
        }
    }

    private static Reply upstream(SdkException e) {
        String what = e instanceof S3Exception s3e && s3e.awsErrorDetails() != null
                ? s3e.statusCode() + " " + s3e.awsErrorDetails().errorCode() : e.getClass().getSimpleName();
        log.warn("S3 failed during an upload: {}", what);
        if (e instanceof S3Exception s3e && (s3e.statusCode() == 403)) {
            return Reply.fail(BitsError.ACCESS_DENIED, "S3 denied the upload: " + what);
        }
        return Reply.fail(BitsError.UPSTREAM, "S3 failed: " + what + "; retry");
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
        executor.shutdown();
        try {
            executor.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        s3.close();
    }
}
