package dev.bitsbridge.proxy.http;

import java.time.Instant;
import java.util.Map;

/**
 * What the proxy knows of one version of an object: its size and validators, and the stored
 * headers passed to clients. Built from S3's response headers, used to evaluate conditionals and
 * to build the client's response headers.
 *
 * @param size the object's full size in bytes (not the length of a range)
 * @param etag the quoted entity tag, or null if S3 sent none
 * @param lastModified whole seconds, or null
 * @param contentType the stored Content-Type, or null
 * @param stored headers passed through as stored ({@link StoredHeaders}), lower-case names
 */
public record ObjectMetadata(long size, String etag, Instant lastModified, String contentType,
        Map<String, String> stored) {

    public ObjectMetadata {
        stored = stored == null ? Map.of() : stored;
    }

    public ObjectMetadata(long size, String etag, Instant lastModified, String contentType) {
        this(size, etag, lastModified, contentType, Map.of());
    }

    /** The same object with another size (a size learnt elsewhere than from this answer). */
    public ObjectMetadata withSize(long newSize) {
        return new ObjectMetadata(newSize, etag, lastModified, contentType, stored);
    }
}
