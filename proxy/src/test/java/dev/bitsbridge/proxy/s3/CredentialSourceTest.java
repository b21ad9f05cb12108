package dev.bitsbridge.proxy.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.testing.Await;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

/**
 * Credential caching and background refresh. The provider is a lambda standing in for the SDK's
 * chain; the clock is settable so expiry is exercised without waiting.
 */
class CredentialSourceTest {

    private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");

    /** A clock the test moves by hand. */
    private static final class MovableClock extends Clock {
        final AtomicReference<Instant> now = new AtomicReference<>(T0);

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }

        void advance(Duration d) {
            now.updateAndGet(t -> t.plus(d));
        }
    }

    private static AwsCredentials expiring(String id, Instant expiry) {
        return AwsSessionCredentials.builder().accessKeyId(id).secretAccessKey("s").sessionToken("t")
                .expirationTime(expiry).build();
    }

    private static AwsCredentialsIdentity get(CompletableFuture<AwsCredentialsIdentity> f) throws Exception {
        return f.get(5, TimeUnit.SECONDS);
    }

    private static void await(BooleanSupplier condition) throws Exception {
        Await.until(Duration.ofSeconds(5), condition::getAsBoolean, () -> "condition");
    }

    @Test
    void cachesCredentialsWithoutExpiry() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        MovableClock clock = new MovableClock();
        AwsCredentialsProvider p = () -> AwsBasicCredentials.create("AK" + calls.incrementAndGet(), "secret");
        try (CredentialSource source = new CredentialSource(p, clock)) {
            assertEquals("AK1", get(source.credentials()).accessKeyId());
            await(() -> source.credentials().isDone());
            for (int i = 0; i < 10; i++) {
                CompletableFuture<AwsCredentialsIdentity> f = source.credentials();
                assertTrue(f.isDone(), "served from the cache");
                assertEquals("AK1", f.join().accessKeyId());
            }
            assertEquals(1, calls.get());

            // Credentials without expiry are re-checked periodically (a rotated profile is picked up).
            clock.advance(CredentialSource.RECHECK);
            // Served at once: the old credentials, or the new ones if the refresh already finished.
            assertTrue(source.credentials().isDone());
            await(() -> calls.get() == 2 && "AK2".equals(source.credentials().join().accessKeyId()));
        }
    }

    @Test
    void refreshesBeforeExpiryInTheBackgroundWhileServingTheCurrentOnes() throws Exception {
        MovableClock clock = new MovableClock();
        AtomicInteger calls = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        AwsCredentialsProvider p = () -> {
            int n = calls.incrementAndGet();
            if (n == 2) {
                try {
                    release.await(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return expiring("AK" + n, clock.instant().plus(Duration.ofMinutes(15)));
        };
        try (CredentialSource source = new CredentialSource(p, clock)) {
            assertEquals("AK1", get(source.credentials()).accessKeyId());
            await(() -> source.credentials().isDone());

            clock.advance(Duration.ofMinutes(11)); // 4 minutes left: inside the refresh window
            CompletableFuture<AwsCredentialsIdentity> f = source.credentials();
            assertTrue(f.isDone(), "a due refresh must not make the request wait");
            assertEquals("AK1", f.join().accessKeyId());
            await(() -> calls.get() == 2);
            // Refresh in flight (blocked in the provider): still served, and not started twice.
            assertEquals("AK1", source.credentials().getNow(null).accessKeyId());
            assertEquals(2, calls.get());

            release.countDown();
            await(() -> "AK2".equals(source.credentials().getNow(expiring("x", T0)).accessKeyId()));
            assertEquals(2, calls.get());
        }
    }

    @Test
    void expiredCredentialsMakeTheRequestWaitForNewOnes() throws Exception {
        MovableClock clock = new MovableClock();
        AtomicInteger calls = new AtomicInteger();
        AwsCredentialsProvider p = () -> expiring("AK" + calls.incrementAndGet(), clock.instant().plusSeconds(600));
        try (CredentialSource source = new CredentialSource(p, clock)) {
            assertEquals("AK1", get(source.credentials()).accessKeyId());
            clock.advance(Duration.ofMinutes(10));
            assertEquals("AK2", get(source.credentials()).accessKeyId());
        }
    }

    @Test
    void failureIsCredentialsUnavailableWithTheCauseText() throws Exception {
        AwsCredentialsProvider p = () -> {
            throw SdkClientException.create("Unable to load credentials from any of the providers in the chain\n"
                    + "second line with details");
        };
        try (CredentialSource source = new CredentialSource(p, new MovableClock())) {
            CompletableFuture<AwsCredentialsIdentity> f = source.credentials();
            CompletionException e = assertThrows(CompletionException.class, f::join);
            CredentialsUnavailableException cue = assertInstanceOf(CredentialsUnavailableException.class, e.getCause());
            assertTrue(cue.getMessage().startsWith("AWS credentials could not be loaded: none found (looked in: "
                    + "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, the ~/.aws profile"), cue.getMessage());
            assertTrue(cue.getMessage().endsWith("pass --profile NAME"), "one line saying what to do");
            assertInstanceOf(SdkClientException.class, cue.getCause());
            // A failure is not cached: the next request tries again.
            assertFalse(f == source.credentials());
        }
    }

    @Test
    void failedBackgroundRefreshKeepsServingValidCredentials() throws Exception {
        MovableClock clock = new MovableClock();
        AtomicInteger calls = new AtomicInteger();
        AwsCredentialsProvider p = () -> {
            if (calls.incrementAndGet() > 1) {
                throw new IllegalStateException("metadata service down");
            }
            return expiring("AK1", clock.instant().plus(Duration.ofMinutes(15)));
        };
        try (CredentialSource source = new CredentialSource(p, clock)) {
            AwsCredentialsIdentity first = get(source.credentials());
            await(() -> source.credentials().isDone());
            clock.advance(Duration.ofMinutes(12));
            assertSame(first, source.credentials().getNow(null));
            await(() -> calls.get() >= 2);
            assertSame(first, get(source.credentials()));
        }
    }
}
