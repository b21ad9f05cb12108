package dev.bitsbridge.proxy.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Scale-out (docs/scale-out.md): where the state every instance shares lives. Off ({@link #OFF})
 * unless {@code bucket} is set; then links, share keys, one-time-link ledgers and upload sessions
 * are small objects under {@code bucket/prefix}, and {@code --state-dir} keeps only what is the
 * machine's own. Immutable.
 *
 * @param bucket the bucket that holds the state ({@code --state-bucket}); null: one machine, state in --state-dir
 * @param prefix the key prefix of the state objects ({@code --state-prefix}), ending in {@code /}
 * @param validity how long an instance trusts its copy of a shared object before reading it again
 *        ({@code --state-validity}): a deleted link or a rotated key reaches every instance within it
 */
public record SharedStateConfig(String bucket, String prefix, Duration validity) {

    public static final String DEFAULT_PREFIX = ".bitsbridge/state/";
    public static final SharedStateConfig OFF = new SharedStateConfig(null, DEFAULT_PREFIX, Duration.ofSeconds(10));

    public SharedStateConfig {
        Objects.requireNonNull(validity, "validity");
        prefix = prefix == null || prefix.isEmpty() ? DEFAULT_PREFIX : prefix.endsWith("/") ? prefix : prefix + "/";
        if (bucket != null && bucket.isEmpty()) {
            bucket = null;
        }
    }

    public boolean enabled() {
        return bucket != null;
    }

    public SharedStateConfig withBucket(String v) {
        return new SharedStateConfig(v, prefix, validity);
    }

    public SharedStateConfig withPrefix(String v) {
        return new SharedStateConfig(bucket, v, validity);
    }

    public SharedStateConfig withValidity(Duration v) {
        return new SharedStateConfig(bucket, prefix, v);
    }
}
