package dev.bitsbridge.proxy.upload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bitsbridge.proxy.s3.S3Location;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * One BITS upload session: which object it writes, how far it got, and its S3 multipart upload.
 * Part {@code n} always holds the object's bytes from {@code (n-1) * partSize}; the bytes of a part
 * not yet confirmed by S3 sit in its spool file ({@link SpoolFiles}), which is deleted only after the
 * part is recorded here. So every byte ever acknowledged is in a recorded part or a spool file, and
 * a crash recovers to the contiguous run of both ({@link SessionRecovery}; S3's ListParts, or the
 * recorded parts where the endpoint has no ListParts, being the truth for the parts). Parts are
 * uploaded in parallel and confirmed in any order.
 *
 * <p>Changes go through named transitions ({@link #sized}, {@link #multipartStarted},
 * {@link #partUploaded}, {@link #completed}, {@link #failed}, {@link #cancelled}), each allowed only
 * from {@link State#OPEN}; the caller saves the session after each one.
 *
 * <p>Not thread-safe: all work on a session, the background part uploads' included, is serialised
 * by locking the session object ({@link UploadService}, {@link PartUploader}); its {@link #spool}
 * (the in-memory state of the spool and the parts in flight) is guarded by the same lock.
 */
final class UploadSession {

    enum State {
        OPEN,
        COMPLETED,
        CANCELLED,
        /** Ended without an object: lost the race for the key, or S3's answer did not verify. */
        FAILED
    }

    /** A part confirmed by S3; {@code size} is partSize except for the object's last part. */
    record Part(int number, String etag, long size) {
    }

    final String id;
    /** The id as logs show it: the id is the session's capability, so only a short hash of it. */
    private final String logId;
    final S3Location location;
    final long partSize;
    final Instant created;
    /**
     * The share link (token id) that created the session, or null: later packets must come with the
     * same link (issue #15). Persisted; never logged (it names a capability).
     */
    final String shareLinkId;
    /** What is in memory only: the spool being written and the parts in flight. */
    final SessionSpool spool = new SessionSpool();
    private Instant lastActivity;
    private long total = -1;
    private String uploadId;
    /** Confirmed parts by number; they may arrive out of order (uploads run in parallel). */
    private final TreeMap<Integer, Part> parts = new TreeMap<>();
    private State state = State.OPEN;
    private String resultEtag;
    private String resultVersionId;
    private BitsError failure;
    private String failureMessage;
    /** Set when loaded from disk: S3's view of the parts must be checked before the next fragment. */
    private boolean needsReconcile;

    UploadSession(String id, S3Location location, long partSize, Instant created) {
        this(id, location, partSize, created, null);
    }

    UploadSession(String id, S3Location location, long partSize, Instant created, String shareLinkId) {
        this.id = id;
        this.shareLinkId = shareLinkId;
        this.logId = dev.bitsbridge.proxy.state.LogIds.of("upload", id);
        this.location = location;
        this.partSize = partSize;
        this.created = created;
        this.lastActivity = created;
    }

    State state() {
        return state;
    }

    boolean open() {
        return state == State.OPEN;
    }

    long total() {
        return total;
    }

    String uploadId() {
        return uploadId;
    }

    /** The confirmed parts in part-number order. */
    List<Part> parts() {
        return new ArrayList<>(parts.values());
    }

    boolean hasPart(int number) {
        return parts.containsKey(number);
    }

    /** Where part {@code number} starts in the object. */
    long base(int number) {
        return (number - 1) * partSize;
    }

    /** The number of the part that holds the byte at {@code offset}. */
    int partAt(long offset) {
        return (int) (offset / partSize) + 1;
    }

    /** The number of the object's last part (the size must be known). */
    int lastPart() {
        return total <= 0 ? 1 : partAt(total - 1);
    }

    /** Whether the object goes up as one PUT (it fits one part) rather than a multipart upload. */
    boolean singlePut() {
        return total <= partSize;
    }

    Instant lastActivity() {
        return lastActivity;
    }

    String resultEtag() {
        return resultEtag;
    }

    String resultVersionId() {
        return resultVersionId;
    }

    boolean needsReconcile() {
        return needsReconcile;
    }

    /** The error a FAILED session answers with (FILE_EXISTS for records written before it was kept). */
    BitsError failure() {
        return failure == null ? BitsError.FILE_EXISTS : failure;
    }

    String failureMessage() {
        return failureMessage == null ? "another upload of this object completed first" : failureMessage;
    }


    /** The in-memory state was given up (a cancel that failed): rebuild it from the spool and S3 first. */
    void mustReconcile() {
        needsReconcile = true;
    }

    // ---- transitions ----

    void touched(Instant now) {
        lastActivity = now;
    }

    /** The first fragment told the object's size. */
    void sized(long total) {
        requireOpen();
        if (this.total >= 0) {
            throw new IllegalStateException("the size is already known");
        }
        this.total = total;
    }

    void multipartStarted(String uploadId) {
        requireOpen();
        if (this.uploadId != null) {
            throw new IllegalStateException("a multipart upload is already open");
        }
        this.uploadId = uploadId;
    }

    /** S3 holds (and the proxy has verified) a part; parts are confirmed in any order. */
    void partUploaded(Part part) {
        requireOpen();
        if (part.number() < 1 || part.number() > 10_000) {
            throw new IllegalStateException("part " + part.number() + " is out of S3's range");
        }
        parts.put(part.number(), part);
    }

    /** After a restart: the parts S3 (or the record) confirms and the spool still needs. */
    void reconciled(List<Part> confirmed) {
        requireOpen();
        List<Part> copy = List.copyOf(confirmed); // may be a view of parts itself
        parts.clear();
        for (Part p : copy) {
            parts.put(p.number(), p);
        }
        needsReconcile = false;
    }

    /** The object is in S3 and verified. */
    void completed(String etag, String versionId) {
        requireOpen();
        state = State.COMPLETED;
        resultEtag = etag;
        resultVersionId = versionId;
    }

    /** Ended without an object; {@code error} and {@code message} are what every later packet is told. */
    void failed(BitsError error, String message) {
        requireOpen();
        state = State.FAILED;
        failure = error;
        failureMessage = message;
    }

    void cancelled() {
        state = State.CANCELLED;
    }

    private void requireOpen() {
        if (state != State.OPEN) {
            throw new IllegalStateException("upload session " + id + " is " + state);
        }
    }

    /** What a BITS upload-reply job receives once the session is complete; null before. */
    java.util.Map<String, Object> replyDocument() {
        return state != State.COMPLETED ? null : replyDocument(location.key(), resultEtag, resultVersionId, total);
    }

    /** The upload-reply document of a completed upload (local and shared sessions answer alike). */
    static java.util.Map<String, Object> replyDocument(String key, String etag, String versionId, long size) {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("key", key);
        m.put("etag", etag);
        m.put("versionId", versionId);
        m.put("size", size);
        return m;
    }

    // ---- persistence ----

    ObjectNode toJson(ObjectMapper json) {
        ObjectNode n = json.createObjectNode();
        n.put("version", 1);
        n.put("id", id);
        n.put("bucket", location.bucket());
        n.put("key", location.key());
        n.put("partSize", partSize);
        n.put("created", created.toString());
        n.put("lastActivity", lastActivity.toString());
        n.put("total", total);
        n.put("uploadId", uploadId);
        n.put("shareLinkId", shareLinkId);
        ArrayNode a = n.putArray("parts");
        for (Part p : parts.values()) {
            a.addObject().put("number", p.number()).put("etag", p.etag()).put("size", p.size());
        }
        n.put("state", state.name());
        n.put("resultEtag", resultEtag);
        n.put("resultVersionId", resultVersionId);
        n.put("failure", failure == null ? null : failure.name());
        n.put("failureMessage", failureMessage);
        return n;
    }

    static UploadSession fromJson(JsonNode n) {
        UploadSession s = new UploadSession(n.path("id").asText(),
                new S3Location(n.path("bucket").asText(), n.path("key").asText()),
                n.path("partSize").asLong(), Instant.parse(n.path("created").asText()), text(n, "shareLinkId"));
        s.lastActivity = Instant.parse(n.path("lastActivity").asText());
        s.total = n.path("total").asLong(-1);
        s.uploadId = text(n, "uploadId");
        for (JsonNode p : n.path("parts")) {
            // Records from before sizes were kept hold only full parts.
            Part part = new Part(p.path("number").asInt(), p.path("etag").asText(), p.path("size").asLong(s.partSize));
            s.parts.put(part.number(), part);
        }
        s.state = State.valueOf(n.path("state").asText("OPEN"));
        s.resultEtag = text(n, "resultEtag");
        s.resultVersionId = text(n, "resultVersionId");
        String f = text(n, "failure");
        s.failure = f == null ? null : BitsError.valueOf(f);
        s.failureMessage = text(n, "failureMessage");
        s.needsReconcile = s.state == State.OPEN;
        return s;
    }

    private static String text(JsonNode n, String field) {
        return n.path(field).isNull() ? null : n.path(field).asText(null);
    }

    String logId() {
        return logId;
    }
}
