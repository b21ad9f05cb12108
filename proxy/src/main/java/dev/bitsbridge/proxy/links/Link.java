package dev.bitsbridge.proxy.links;

import java.time.Instant;

/**
 * A registered link: a stable local URL ({@code /_bitsbridge/l/<id>/<name>}) in front of a
 * presigned upstream URL that can be replaced when it expires. The id is random and unguessable:
 * it is the capability to use the link. Immutable.
 */
public record Link(String id, String name, PresignedUrl upstream, Instant created) {

    public Link withUpstream(PresignedUrl next) {
        return new Link(id, name, next, created);
    }
}
