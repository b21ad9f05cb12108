package dev.bitsbridge.proxy.links;

import dev.bitsbridge.proxy.config.Durations;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The registered links as {@link LinkEndpoints} sees them: {@link LinkStore} on one machine (a
 * state folder), {@link SharedLinkStore} in a cluster (objects in the state bucket,
 * docs/scale-out.md).
 *
 * <p>Threading: {@link #find} never blocks and may be called on an event loop (its future is
 * complete at once when the answer is known here); {@link #list} and the mutations may block on
 * I/O and run off the event loops.
 */
public interface LinkRegistry {

    /** The live link with that id, or null; completed at once when answered without I/O. */
    CompletableFuture<Link> find(String id);

    /** The live links, oldest first. Blocks when {@link #shared}. */
    List<Link> list() throws IOException;

    /** Whether {@link #list} reads shared state (so it is called off the event loop). */
    boolean shared();

    int maxLinks();

    Duration maxAge();

    /**
     * Why a registration's lifetime is refused, or null when it is fine (null: the default). One
     * rule for both stores: more than 0 and at most {@link #maxAge}.
     */
    default String lifetimeRefusal(Duration lifetime) {
        if (lifetime == null || !lifetime.isNegative() && !lifetime.isZero() && lifetime.compareTo(maxAge()) <= 0) {
            return null;
        }
        return "lifetime must be more than 0 and at most --link-max-age (" + Durations.format(maxAge()) + ")";
    }

    Link create(PresignedUrl url, String name, Duration lifetime) throws IOException, LinkStore.LimitReachedException;

    /** Replaces a link's upstream URL; null if there is no such link. */
    Link replace(String id, PresignedUrl url) throws IOException;

    boolean delete(String id) throws IOException;
}
