package dev.bitsbridge.proxy.cache;

import dev.bitsbridge.proxy.http.ContentRange;
import dev.bitsbridge.proxy.http.EntityTags;
import dev.bitsbridge.proxy.http.HttpDates;
import dev.bitsbridge.proxy.http.ObjectMetadata;
import dev.bitsbridge.proxy.http.StoredHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;

/**
 * What S3's answer to the cache's probe says: the probe is {@code GET Range: bytes=0-0} (the one
 * request every source allows, presigned GET URLs included), with {@code If-None-Match} on the
 * cached ETag when there is one. Plain decision, no I/O.
 *
 * <ul>
 *   <li>304, or a 200/206 with the cached ETag and size (a server that ignores If-None-Match):
 *       the cached version is current;</li>
 *   <li>200/206 with another ETag or size: a new version (its metadata from this answer);</li>
 *   <li>404: the object is gone, its slices are dropped;</li>
 *   <li>anything else (403, 416 for an empty object, 5xx, no ETag, no size): not for the cache;
 *       the request goes the uncached way, which answers it exactly as without a cache.</li>
 * </ul>
 *
 * @param kind the decision
 * @param meta the object's metadata for {@link Kind#NEW_VERSION}, else null
 */
record ProbeAnswer(Kind kind, ObjectMetadata meta) {

    enum Kind {
        UNCHANGED,
        NEW_VERSION,
        GONE,
        UNUSABLE
    }

    static ProbeAnswer of(int status, HttpHeaders h, ObjectEntry cached) {
        if (status == 304) {
            return cached == null ? new ProbeAnswer(Kind.UNUSABLE, null) : new ProbeAnswer(Kind.UNCHANGED, null);
        }
        if (status == 404) {
            return new ProbeAnswer(Kind.GONE, null);
        }
        if (status != 200 && status != 206) {
            return new ProbeAnswer(Kind.UNUSABLE, null);
        }
        long size;
        if (status == 206) {
            ContentRange cr = ContentRange.parse(h.get(HttpHeaderNames.CONTENT_RANGE));
            size = cr == null ? -1 : cr.total();
        } else {
            String cl = h.get(HttpHeaderNames.CONTENT_LENGTH);
            size = cl == null ? -1 : parse(cl);
        }
        String etag = EntityTags.quoted(h.get(HttpHeaderNames.ETAG));
        if (size <= 0 || etag == null || EntityTags.isWeak(etag)) {
            return new ProbeAnswer(Kind.UNUSABLE, null);
        }
        java.time.Instant modified = HttpDates.parse(h.get(HttpHeaderNames.LAST_MODIFIED));
        if (cached != null && etag.equals(cached.etag()) && size == cached.size()
                && java.util.Objects.equals(modified, cached.meta().lastModified())) {
            return new ProbeAnswer(Kind.UNCHANGED, null);
        }
        // Same ETag and size with another date (metadata replaced in place): a new entry whose
        // identity, and so whose slices, are the old one's.
        return new ProbeAnswer(Kind.NEW_VERSION, new ObjectMetadata(size, etag, modified,
                h.get(HttpHeaderNames.CONTENT_TYPE), StoredHeaders.from(h)));
    }

    private static long parse(String v) {
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
