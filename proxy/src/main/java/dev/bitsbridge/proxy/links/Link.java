package dev.bitsbridge.proxy.links;

import java.time.Instant;

/**
 * A registered link: a stable local URL ({@code /_bitsbridge/l/<id>/<name>}) in front of a
 * presigned upstream URL that can be replaced when it expires. The id is random and unguessable:
 * it is the capability to use the link. Immutable.
 *
 * @param expires when the link itself is dropped (not its upstream URL's expiry, which a PUT of a
 *        fresh URL renews): {@code --link-max-age} after its last change, or the lifetime its
 *        registration asked for
 * @param lifetimeGiven the registration named its own lifetime; a PUT then keeps {@code expires}
 */
public record Link(String id, String name, PresignedUrl upstream, Instant created, Instant expires,
        boolean lifetimeGiven) {

    public Link withUpstream(PresignedUrl next, Instant nextExpiry) {
        return new Link(id, name, next, created, lifetimeGiven ? expires : nextExpiry, lifetimeGiven);
    }

    /** Whether the link is gone at {@code now}. */
    public boolean expiredAt(Instant now) {
        return !now.isBefore(expires);
    }
}
