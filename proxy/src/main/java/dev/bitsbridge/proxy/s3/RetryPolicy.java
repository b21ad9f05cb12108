package dev.bitsbridge.proxy.s3;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Bounded retries with "equal jitter" exponential backoff: a delay between half and all of
 * {@code min(cap, base * 2^attempt)}, so many proxies retrying against a throttled S3 spread out
 * instead of arriving in waves, while each retry still waits at least half the backoff (full
 * jitter may retry at once, which a throttled S3 does not want). Immutable.
 */
public record RetryPolicy(int maxRetries, Duration base, Duration cap) {

    public static RetryPolicy standard(int maxRetries) {
        return new RetryPolicy(maxRetries, Duration.ofMillis(100), Duration.ofSeconds(2));
    }

    /** Delay before retry number {@code retry} (1-based), in milliseconds. */
    public long delayMillis(int retry) {
        long ceiling = Math.min(cap.toMillis(), base.toMillis() << Math.min(20, retry - 1));
        return ThreadLocalRandom.current().nextLong(ceiling / 2, ceiling + 1);
    }
}
