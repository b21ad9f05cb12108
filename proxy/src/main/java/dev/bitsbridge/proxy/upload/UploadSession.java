package dev.bitsbridge.proxy.upload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bitsbridge.proxy.s3.S3Location;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One BITS upload session: which object it writes, how far it got, and its S3 multipart upload.
 * The bytes not yet in S3 sit in the session's spool file ({@link SpoolFiles}): they start where
 * the parts end. So the offset the server really holds is always
 * {@code parts' bytes + spool length}, which is what a crash recovers to (S3's ListParts,
 * or the recorded parts where the endpoint has no ListParts, being the truth for the parts).
 *
 * <p>Changes go through named transitions ({@link #sized}, {@link #multipartStarted},
 * {@link #partUploaded}, {@link #completed}, {@link #failed}, {@link #cancelled}), each allowed only
 * from {@link State#OPEN}; the caller saves the session after each one.
 *
 * <p>Not thread-safe: {@link UploadService} serialises all work on a session (locks it).
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
    private Instant lastActivity;
    private long total = -1;
    private String uploadId;
    private final List<Part> parts = new ArrayList<>();
    private State state = State.OPEN;
    private String resultEtag;
    private String resultVersionId;
    private BitsError failure;
    private String failureMessage;
    /** Set when loaded from disk: S3's view of the parts must be checked before the next fragment. */
    private boolean needsReconcile;

    UploadSession(String id, S3Location location, long partSize, Instant created) {
        this.id = id;
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

    List<Part> parts() {
        return Collections.unmodifiableList(parts);
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

    /** Bytes confirmed by S3 as parts: where the spool starts. */
    long partsBytes() {
        long sum = 0;
        for (Part p : parts) {
            sum += p.size();
        }
        return sum;
    }

    int nextPartNumber() {
        return parts.size() + 1;
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

    /** S3 holds (and the proxy has verified) the next part. */
    void partUploaded(Part part) {
        requireOpen();
        if (part.number() != nextPartNumber()) {
            throw new IllegalStateException("part " + part.number() + " out of order; expected " + nextPartNumber());
        }
        parts.add(part);
    }

    /** After a restart: the contiguous run of parts S3 (or the record) confirms. */
    void reconciled(List<Part> confirmed) {
        requireOpen();
        List<Part> copy = List.copyOf(confirmed); // may be a view of parts itself
        parts.clear();
        parts.addAll(copy);
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
        if (state != State.COMPLETED) {
            return null;
        }
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("key", location.key());
        m.put("etag", resultEtag);
        m.put("versionId", resultVersionId);
        m.put("size", total);
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
        ArrayNode a = n.putArray("parts");
        for (Part p : parts) {
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
                n.path("partSize").asLong(), Instant.parse(n.path("created").asText()));
        s.lastActivity = Instant.parse(n.path("lastActivity").asText());
        s.total = n.path("total").asLong(-1);
        s.uploadId = text(n, "uploadId");
        for (JsonNode p : n.path("parts")) {
            // Records from before sizes were kept hold only full parts.
            s.parts.add(new Part(p.path("number").asInt(), p.path("etag").asText(),
                    p.path("size").asLong(s.partSize)));
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
