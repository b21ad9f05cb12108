package dev.bitsbridge.proxy.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * The shared disk cache (docs/cache.md): off unless {@code dir} is set. Immutable; the defaults
 * ({@link #OFF}) are the documented ones.
 *
 * @param dir where slices live ({@code --cache-dir}); null turns the cache off
 * @param maxBytes the most the slice files may take on disk ({@code --cache-size})
 * @param validity how long a version of an object is served without asking S3 ({@code --cache-validity})
 * @param sliceSize bytes per cached slice (a power of two, 64 KiB to 64 MiB); not a command-line
 *        option: changing it orphans every slice already on disk
 * @param prefetchSlices slices fetched ahead of a reader within its own response
 */
public record CacheConfig(Path dir, long maxBytes, Duration validity, int sliceSize, int prefetchSlices) {

    public static final int DEFAULT_SLICE_SIZE = 4 * 1024 * 1024;
    public static final CacheConfig OFF = new CacheConfig(null, 10L * 1024 * 1024 * 1024, Duration.ofSeconds(60),
            DEFAULT_SLICE_SIZE, 3);

    public CacheConfig {
        Objects.requireNonNull(validity, "validity");
    }

    public boolean enabled() {
        return dir != null;
    }

    public CacheConfig withDir(Path v) {
        return new CacheConfig(v, maxBytes, validity, sliceSize, prefetchSlices);
    }

    public CacheConfig withMaxBytes(long v) {
        return new CacheConfig(dir, v, validity, sliceSize, prefetchSlices);
    }

    public CacheConfig withValidity(Duration v) {
        return new CacheConfig(dir, maxBytes, v, sliceSize, prefetchSlices);
    }

    public CacheConfig withSliceSize(int v) {
        return new CacheConfig(dir, maxBytes, validity, v, prefetchSlices);
    }

    public CacheConfig withPrefetchSlices(int v) {
        return new CacheConfig(dir, maxBytes, validity, sliceSize, v);
    }
}
