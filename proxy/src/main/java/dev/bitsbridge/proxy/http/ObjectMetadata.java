package dev.bitsbridge.proxy.http;

import java.time.Instant;

/**
 * What the proxy knows of one version of an object: its size and validators. Built from S3's
 * response headers, used to evaluate conditionals and to build the client's response headers.
 *
 * @param size the object's full size in bytes (not the length of a range)
 * @param etag the quoted entity tag, or null if S3 sent none
 * @param lastModified whole seconds, or null
 * @param contentType the stored Content-Type, or null
 */
public record ObjectMetadata(long size, String etag, Instant lastModified, String contentType) {
}
