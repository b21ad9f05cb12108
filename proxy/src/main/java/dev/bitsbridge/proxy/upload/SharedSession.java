package dev.bitsbridge.proxy.upload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bitsbridge.proxy.s3.S3Location;
import dev.bitsbridge.proxy.state.Json;
import dev.bitsbridge.proxy.upload.UploadSession.Part;
import dev.bitsbridge.proxy.upload.UploadSession.State;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * One BITS upload session in shared mode (scale-out, docs/scale-out.md): what every instance needs
 * to go on with it, kept as one small object in the shared state and changed only by
 * compare-and-swap ({@link SharedSessions#update}). Every acknowledged byte is in S3: in a
 * recorded part of the multipart upload, or in a recorded spill object ({@link Spill}, in the state
 * bucket). Part {@code n} always holds the object's bytes from {@code (n-1) * partSize}, as in local
 * mode, and a spill never crosses a part boundary, so a part is made of whole spills: copied inside
 * S3 when it is one spill, streamed through the proxy when it is several.
 *
 * <p>The session id is a capability: the record is named by its SHA-256 and holds neither it nor
 * the share link's id (only that id's SHA-256, enough to check that a packet came with the same
 * link).
 *
 * <p>Immutable: every transition returns a new record, or this one when there is nothing to change,
 * so a compare-and-swap that lost re-applies the transition to what it reads again. Thread-safe.
 *
 * @param acked the acknowledged length: bytes 0 to acked-1 are in S3 (parts or spills)
 * @param spills the spills not yet made into a part, in offset order
 * @param parts the parts in S3 (verified), in number order
 */
record SharedSession(S3Location location, String shareLinkHash, long partSize, Instant created,
        Instant lastActivity, long total, String uploadId, long acked, List<Spill> spills, List<Part> parts,
        State state, String resultEtag, String resultVersionId, BitsError failure, String failureMessage) {

    /** Bytes {@code [start, end)} of the object, in the spill object {@code key} (state bucket), whose MD5 is {@code md5}. */
    record Spill(long start, long end, String key, String md5) {
        long size() {
            return end - start;
        }
    }

    SharedSession {
        spills = List.copyOf(spills);
        parts = List.copyOf(parts);
    }

    /** A new session: size unknown, nothing received, its multipart upload already started. */
    static SharedSession open(S3Location location, String shareLinkHash, long partSize, Instant now, String uploadId) {
        return new SharedSession(location, shareLinkHash, partSize, now, now, -1, uploadId, 0, List.of(), List.of(),
                State.OPEN, null, null, null, null);
    }

    boolean open() {
        return state == State.OPEN;
    }

    /** Where part {@code n} starts. */
    long base(int n) {
        return (n - 1) * partSize;
    }

    /** Where part {@code n} ends (exclusive); the size must be known. */
    long end(int n) {
        return Math.min(n * partSize, total);
    }

    /** The number of the part holding the byte at {@code offset}. */
    int partAt(long offset) {
        return (int) (offset / partSize) + 1;
    }

    int lastPart() {
        return total <= 0 ? 1 : partAt(total - 1);
    }

    boolean hasPart(int n) {
        return parts.stream().anyMatch(p -> p.number() == n);
    }

    /** The spills that make part {@code n}, in order; complete only once the part's bytes are all acknowledged. */
    List<Spill> spillsOf(int n) {
        long b = base(n);
        long e = end(n);
        return spills.stream().filter(s -> s.start() >= b && s.end() <= e).toList();
    }

    /** Parts whose bytes are all acknowledged but are not in S3 as parts yet. */
    List<Integer> partsToMake() {
        List<Integer> out = new ArrayList<>();
        if (total < 0) {
            return out;
        }
        for (int n = 1; n <= lastPart() && end(n) <= acked; n++) {
            if (!hasPart(n)) {
                out.add(n);
            }
        }
        return out;
    }

    // ---- transitions (each returns a new record, or this one when nothing changes) ----

    SharedSession sized(long newTotal) {
        return new SharedSession(location, shareLinkHash, partSize, created, lastActivity, newTotal, uploadId, acked,
                spills, parts, state, resultEtag, resultVersionId, failure, failureMessage);
    }

    /**
     * A fragment's new bytes {@code [from, to)} are in the spills {@code added}: acknowledged, if
     * the session is still open and nobody acknowledged other bytes meanwhile ({@code acked == from});
     * else unchanged, and the caller answers from what the record says.
     */
    SharedSession acknowledged(long from, long to, List<Spill> added, Instant now) {
        if (!open() || acked != from) {
            return this;
        }
        List<Spill> s = new ArrayList<>(spills);
        s.addAll(added);
        return new SharedSession(location, shareLinkHash, partSize, created, now, total, uploadId, to, s, parts,
                state, resultEtag, resultVersionId, failure, failureMessage);
    }

    /** Part {@code p} is in S3, verified: recorded, and its spills forgotten (their objects may go). */
    SharedSession partMade(Part p) {
        if (!open() || hasPart(p.number())) {
            return this;
        }
        long b = base(p.number());
        long e = end(p.number());
        List<Spill> s = spills.stream().filter(x -> x.end() <= b || x.start() >= e).toList();
        List<Part> ps = new ArrayList<>(parts);
        ps.add(p);
        ps.sort(Comparator.comparingInt(Part::number));
        return new SharedSession(location, shareLinkHash, partSize, created, lastActivity, total, uploadId, acked, s, ps,
                state, resultEtag, resultVersionId, failure, failureMessage);
    }

    SharedSession completed(String etag, String versionId) {
        if (!open()) {
            return this;
        }
        return new SharedSession(location, shareLinkHash, partSize, created, lastActivity, total, uploadId, acked,
                List.of(), parts, State.COMPLETED, etag, versionId, null, null);
    }

    SharedSession failed(BitsError error, String message) {
        if (!open()) {
            return this;
        }
        return new SharedSession(location, shareLinkHash, partSize, created, lastActivity, total, uploadId, acked,
                List.of(), parts, State.FAILED, null, null, error, message);
    }

    SharedSession cancelled() {
        if (!open()) {
            return this;
        }
        return new SharedSession(location, shareLinkHash, partSize, created, lastActivity, total, uploadId, acked,
                List.of(), parts, State.CANCELLED, null, null, null, null);
    }

    /** What a BITS upload-reply job receives once complete; null before (as local mode's). */
    java.util.Map<String, Object> replyDocument() {
        return state != State.COMPLETED ? null
                : UploadSession.replyDocument(location.key(), resultEtag, resultVersionId, total);
    }

    // ---- persistence ----

    byte[] toBytes() throws IOException {
        ObjectNode n = Json.mapper().createObjectNode();
        n.put("version", 1);
        n.put("bucket", location.bucket());
        n.put("key", location.key());
        n.put("shareLinkHash", shareLinkHash);
        n.put("partSize", partSize);
        n.put("created", created.toString());
        n.put("lastActivity", lastActivity.toString());
        n.put("total", total);
        n.put("uploadId", uploadId);
        n.put("acked", acked);
        ArrayNode sp = n.putArray("spills");
        for (Spill s : spills) {
            sp.addObject().put("start", s.start()).put("end", s.end()).put("key", s.key()).put("md5", s.md5());
        }
        ArrayNode ps = n.putArray("parts");
        for (Part p : parts) {
            ps.addObject().put("number", p.number()).put("etag", p.etag()).put("size", p.size());
        }
        n.put("state", state.name());
        n.put("resultEtag", resultEtag);
        n.put("resultVersionId", resultVersionId);
        n.put("failure", failure == null ? null : failure.name());
        n.put("failureMessage", failureMessage);
        return Json.mapper().writeValueAsBytes(n);
    }

    static SharedSession fromBytes(byte[] body) throws IOException {
        JsonNode n = Json.mapper().readTree(body);
        List<Spill> spills = new ArrayList<>();
        for (JsonNode s : n.path("spills")) {
            spills.add(new Spill(s.path("start").asLong(), s.path("end").asLong(), s.path("key").asText(),
                    s.path("md5").asText()));
        }
        List<Part> parts = new ArrayList<>();
        for (JsonNode p : n.path("parts")) {
            parts.add(new Part(p.path("number").asInt(), p.path("etag").asText(), p.path("size").asLong()));
        }
        String f = text(n, "failure");
        return new SharedSession(new S3Location(n.path("bucket").asText(), n.path("key").asText()),
                text(n, "shareLinkHash"), n.path("partSize").asLong(), Instant.parse(n.path("created").asText()),
                Instant.parse(n.path("lastActivity").asText()), n.path("total").asLong(-1), text(n, "uploadId"),
                n.path("acked").asLong(), spills, parts, State.valueOf(n.path("state").asText("OPEN")),
                text(n, "resultEtag"), text(n, "resultVersionId"), f == null ? null : BitsError.valueOf(f),
                text(n, "failureMessage"));
    }

    private static String text(JsonNode n, String field) {
        return n.path(field).isNull() ? null : n.path(field).asText(null);
    }
}
