package dev.bitsbridge.proxy.upload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bitsbridge.proxy.s3.S3Location;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * One BITS upload session: which object it writes, how far it got, and its S3 multipart upload.
 * The bytes not yet in S3 sit in the session's spool file ({@link SpoolFiles}): they start at
 * {@code parts.size() * partSize}. So the offset the server really holds is always
 * {@code parts.size() * partSize + spool length}, which is what a crash recovers to (S3's ListParts
 * being the truth for the parts).
 *
 * <p>Not thread-safe: {@link UploadService} serialises all work on a session.
 */
final class UploadSession {

    enum State {
        OPEN,
        COMPLETED,
        CANCELLED,
        FAILED
    }

    /** A part confirmed by S3. */
    record Part(int number, String etag) {
    }

    final String id;
    final S3Location location;
    final long partSize;
    final Instant created;
    Instant lastActivity;
    long total = -1;
    String uploadId;
    final List<Part> parts = new ArrayList<>();
    State state = State.OPEN;
    String resultEtag;
    String resultVersionId;
    /** Set when loaded from disk: S3's view of the parts must be checked before the next fragment. */
    boolean needsReconcile;

    UploadSession(String id, S3Location location, long partSize, Instant created) {
        this.id = id;
        this.location = location;
        this.partSize = partSize;
        this.created = created;
        this.lastActivity = created;
    }

    /** Bytes confirmed by S3 as parts. */
    long partsBytes() {
        return parts.size() * partSize;
    }

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
            a.addObject().put("number", p.number()).put("etag", p.etag());
        }
        n.put("state", state.name());
        n.put("resultEtag", resultEtag);
        n.put("resultVersionId", resultVersionId);
        return n;
    }

    static UploadSession fromJson(JsonNode n) {
        UploadSession s = new UploadSession(n.path("id").asText(),
                new S3Location(n.path("bucket").asText(), n.path("key").asText()),
                n.path("partSize").asLong(), Instant.parse(n.path("created").asText()));
        s.lastActivity = Instant.parse(n.path("lastActivity").asText());
        s.total = n.path("total").asLong(-1);
        s.uploadId = n.path("uploadId").isNull() ? null : n.path("uploadId").asText(null);
        for (JsonNode p : n.path("parts")) {
            s.parts.add(new Part(p.path("number").asInt(), p.path("etag").asText()));
        }
        s.state = State.valueOf(n.path("state").asText("OPEN"));
        s.resultEtag = n.path("resultEtag").isNull() ? null : n.path("resultEtag").asText(null);
        s.resultVersionId = n.path("resultVersionId").isNull() ? null : n.path("resultVersionId").asText(null);
        s.needsReconcile = s.state == State.OPEN;
        return s;
    }
}
