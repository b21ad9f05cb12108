package dev.bitsbridge.proxy.s3;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

/**
 * Hands out AWS credentials to the event loops without ever blocking them.
 *
 * <p>The SDK's providers may block (instance metadata, STS, SSO, a credential process), so they are
 * only ever called on one background thread. Credentials are reused while fresh; shortly before
 * they expire (or every {@link #RECHECK} for credentials without an expiry, so a rotated profile is
 * picked up without a restart) a refresh starts in the background while the current credentials
 * keep being served. Only when there are none, or they have expired, does a request wait.
 *
 * <p>Thread-safety: {@link #credentials()} may be called from any thread; state is guarded by
 * {@code this}. The returned futures complete on the background thread.
 */
public final class CredentialSource implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CredentialSource.class);
    static final Duration RECHECK = Duration.ofMinutes(5);
    static final Duration REFRESH_BEFORE_EXPIRY = Duration.ofMinutes(5);

    private final AwsCredentialsProvider provider;
    private final Clock clock;
    private final ExecutorService executor;

    private AwsCredentialsIdentity current;
    private Instant fetchedAt;
    private CompletableFuture<AwsCredentialsIdentity> inFlight;

    public CredentialSource(AwsCredentialsProvider provider) {
        this(provider, Clock.systemUTC());
    }

    CredentialSource(AwsCredentialsProvider provider, Clock clock) {
        this.provider = provider;
        this.clock = clock;
        this.executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "bitsbridge-credentials");
            t.setDaemon(true);
            return t;
        });
    }

    /** Current credentials; completes exceptionally with {@link CredentialsUnavailableException}. */
    public synchronized CompletableFuture<AwsCredentialsIdentity> credentials() {
        Instant now = clock.instant();
        if (current != null && !expired(current, now)) {
            if (dueForRefresh(current, now)) {
                refresh();
            }
            return CompletableFuture.completedFuture(current);
        }
        return refresh();
    }

    private boolean expired(AwsCredentialsIdentity c, Instant now) {
        return c.expirationTime().map(exp -> !now.isBefore(exp)).orElse(false);
    }

    private boolean dueForRefresh(AwsCredentialsIdentity c, Instant now) {
        if (c.expirationTime().isPresent()) {
            return !now.isBefore(c.expirationTime().get().minus(REFRESH_BEFORE_EXPIRY));
        }
        return !now.isBefore(fetchedAt.plus(RECHECK));
    }

    private CompletableFuture<AwsCredentialsIdentity> refresh() {
        if (inFlight != null) {
            return inFlight;
        }
        CompletableFuture<AwsCredentialsIdentity> f = CompletableFuture.supplyAsync(this::load, executor);
        inFlight = f;
        f.whenComplete((c, err) -> {
            synchronized (CredentialSource.this) {
                inFlight = null;
                if (c != null) {
                    current = c;
                    fetchedAt = clock.instant();
                }
            }
        });
        return f;
    }

    private AwsCredentialsIdentity load() {
        try {
            return provider.resolveCredentials();
        } catch (RuntimeException e) {
            // SDK messages name the providers tried and why each failed; none contains a secret.
            String reason = e.getMessage() == null ? e.getClass().getSimpleName() : reason(e.getMessage());
            log.warn("AWS credentials could not be loaded: {}", reason);
            throw new CredentialsUnavailableException("AWS credentials could not be loaded: " + reason, e);
        }
    }

    /**
     * The default chain's failure lists every provider with its own reason in one long line that
     * helps nobody; what a user needs is where credentials are looked for and what to set.
     */
    static String reason(String sdkMessage) {
        if (sdkMessage.startsWith("Unable to load credentials from any of the providers in the chain")) {
            return "none found (looked in: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, the ~/.aws profile"
                    + " (AWS_PROFILE or --profile, default 'default'), SSO, web identity, container and instance"
                    + " roles); set one of them, e.g. run 'aws configure' or pass --profile NAME";
        }
        return firstLine(sdkMessage);
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        String line = nl < 0 ? s : s.substring(0, nl);
        return line.length() > 300 ? line.substring(0, 300) + "..." : line;
    }

    @Override
    public void close() {
        executor.shutdownNow();
        if (provider instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                log.debug("closing credentials provider failed", e);
            }
        }
    }
}
