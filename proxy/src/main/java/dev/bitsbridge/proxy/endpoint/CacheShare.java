package dev.bitsbridge.proxy.endpoint;

/**
 * Where the body bytes of one response served through the disk cache came from, for the status
 * page's per-transfer hit ratio: slice files that were complete when the response needed them,
 * or S3 (a fill the response waited for, its own or another's, or an uncached read).
 *
 * <p>Threading: written only by the response's event loop (single writer, so {@code +=} on a
 * volatile is safe), read by whichever loop serves the status page.
 */
public final class CacheShare {

    private volatile long fromCache;
    private volatile long fromS3;

    public void fromCache(long n) {
        fromCache += n;
    }

    public void fromS3(long n) {
        fromS3 += n;
    }

    public long bytesFromCache() {
        return fromCache;
    }

    public long bytesFromS3() {
        return fromS3;
    }
}
