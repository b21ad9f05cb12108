package dev.bitsbridge.proxy.state;

import java.io.IOException;
import java.util.List;

/**
 * Small state objects shared by every instance of a cluster (scale-out, docs/scale-out.md): links,
 * the share secret, one-time-link ledgers, upload sessions. The store is S3 itself (strongly
 * consistent reads, conditional writes), so instances need no knowledge of each other and no
 * database: every change is a compare-and-swap on the object's entity tag, and the loser of a race
 * reads again and decides again.
 *
 * <p>Names are relative to the configured state prefix and never hold secrets in clear (callers
 * hash capability ids into names, as the local store does with file names).
 *
 * <p>Threading: implementations are thread-safe and <b>block</b> the calling thread (S3 round
 * trips): call them from an I/O executor, never from an event loop.
 */
public interface SharedState {

    /** One stored object: its bytes and the entity tag a later {@link #replace} names. */
    record Versioned(byte[] body, String etag) {
    }

    /** The object, or null when there is none. */
    Versioned get(String name) throws IOException;

    /**
     * Creates the object if no object of that name exists ({@code If-None-Match: *}).
     *
     * @return the new entity tag, or null when the object already exists (another instance won)
     */
    String create(String name, byte[] body) throws IOException;

    /**
     * Replaces the object if it is still the version {@code etag} names ({@code If-Match}).
     *
     * @return the new entity tag, or null when the object changed or vanished meanwhile
     */
    String replace(String name, byte[] body, String etag) throws IOException;

    /**
     * Deletes the object; absent is fine. Not ordered against a concurrent {@link #replace} (which
     * may bring it back): delete what nobody writes any more (an expired link, a finished
     * session), or write a tombstone value where writers race.
     */
    void delete(String name) throws IOException;

    /** The names under {@code prefix} (relative to the state prefix, like the names given). */
    List<String> list(String prefix) throws IOException;
}
