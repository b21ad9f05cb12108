package dev.bitsbridge.proxy.upload;

import dev.bitsbridge.proxy.state.SharedState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * Shared-mode upload sessions in {@link SharedState}: {@code uploads/<sha256 of the session id>/session}
 * (the id is a capability, never a name in clear). Always read fresh, never cached: a fragment decides
 * on the acknowledged length, and a stale one would acknowledge bytes twice or not at all; a read is
 * two S3 requests, small beside the fragment's own PUT. Every change is a compare-and-swap, re-applied
 * to a fresh read when another instance changed the record meanwhile.
 *
 * <p>Threading: thread-safe; every call blocks on S3 (upload threads only).
 */
final class SharedSessions {

    /** A record and the version a compare-and-swap names. */
    record Read(SharedSession session, String etag) {
    }

    private static final int ATTEMPTS = 20;

    private final SharedState state;

    SharedSessions(SharedState state) {
        this.state = state;
    }

    /** The hex SHA-256 of the normalised session id: the session's name in S3. */
    static String hash(String sessionId) {
        return sha256(UploadSessionStore.key(sessionId));
    }

    static String sha256(String s) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(md.digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /**
     * How logs name the session: {@code upload#} and 8 hex digits of the hash, which is what local
     * mode's {@code LogIds.of("upload", id)} shows for the same (canonical) id.
     */
    static String logId(String hash) {
        return "upload#" + hash.substring(0, 8);
    }

    static String name(String hash) {
        return "uploads/" + hash + "/session";
    }

    /** The session, or null when there is none (unknown id, or swept). */
    Read get(String sessionId) throws IOException {
        return sessionId == null ? null : getByHash(hash(sessionId));
    }

    Read getByHash(String hash) throws IOException {
        SharedState.Versioned v = state.get(name(hash));
        return v == null ? null : new Read(SharedSession.fromBytes(v.body()), v.etag());
    }

    /** Writes a new session; false if the id is taken (it never is: ids are random GUIDs). */
    boolean create(String sessionId, SharedSession s) throws IOException {
        return state.create(name(hash(sessionId)), s.toBytes()) != null;
    }

    /**
     * Applies {@code change} to the session, starting from {@code read} (or a fresh read when null),
     * with compare-and-swap: when another instance changed the record meanwhile, it is read again
     * and {@code change} applied to that. A change that returns its argument writes nothing.
     *
     * @return what the record is now (null when the session is gone)
     */
    Read update(String hash, Read read, UnaryOperator<SharedSession> change) throws IOException {
        Read r = read != null ? read : getByHash(hash);
        for (int i = 0; i < ATTEMPTS && r != null; i++) {
            SharedSession next = change.apply(r.session());
            if (next == r.session()) {
                return r;
            }
            String etag = state.replace(name(hash), next.toBytes(), r.etag());
            if (etag != null) {
                return new Read(next, etag);
            }
            r = getByHash(hash);
        }
        if (r == null) {
            return null;
        }
        throw new IOException("upload session " + logId(hash) + ": the shared record changed "
                + ATTEMPTS + " times while being updated");
    }

    /** Forgets a session that nobody writes any more (swept). */
    void delete(String hash) throws IOException {
        state.delete(name(hash));
    }

    /** The hashes of every session in the shared state (for the sweep). */
    List<String> hashes() throws IOException {
        List<String> out = new ArrayList<>();
        for (String n : state.list("uploads/")) {
            String[] parts = n.split("/");
            if (parts.length == 3 && parts[2].equals("session")) {
                out.add(parts[1].toLowerCase(Locale.ROOT));
            }
        }
        return out;
    }
}
