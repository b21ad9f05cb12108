package dev.bitsbridge.proxy.observe;

import dev.bitsbridge.proxy.error.BridgeError;
import dev.bitsbridge.proxy.s3.CredentialSource;
import dev.bitsbridge.proxy.s3.S3Caller;
import dev.bitsbridge.proxy.s3.S3Request;
import dev.bitsbridge.proxy.s3.S3Target;
import dev.bitsbridge.proxy.upstream.Drain;
import dev.bitsbridge.proxy.upstream.UpstreamExchange;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The readiness check behind {@code /_bitsbridge/ready}: can this proxy serve a download now?
 *
 * <p>With a bucket configured it sends a signed {@code HEAD} of the bucket through the same
 * {@link S3Caller} downloads use, so one probe covers credentials (loadable, accepted), the
 * network path, TLS and the region. Only a 200 is ready: a 403 may mean bad credentials or a
 * policy without {@code s3:ListBucket}, and the check cannot tell them apart, so it says so in
 * the reason. Without a bucket (path mode, vendor mode) there is no single thing to probe: the
 * credentials are loaded if there are any, and S3 itself is not contacted.
 *
 * <p>Threading: {@link #check} is called on an event loop and answers on it; a check never takes
 * longer than {@link #TIMEOUT}. Stateless apart from its collaborators.
 */
public final class Readiness {

    static final Duration TIMEOUT = Duration.ofSeconds(5);

    /** The outcome; {@code s3} and {@code credentials} say what was checked and how it went. */
    public record Result(boolean ready, String reason, String credentials, String s3) {
    }

    private final S3Caller caller;
    private final S3Target bucket;
    private final String bucketName;
    private final CredentialSource credentials;

    /**
     * @param bucket the configured bucket's target, or null when there is none
     * @param credentials null when requests are anonymous or presigned
     */
    public Readiness(S3Caller caller, S3Target bucket, String bucketName, CredentialSource credentials) {
        this.caller = caller;
        this.bucket = bucket;
        this.bucketName = bucketName;
        this.credentials = credentials;
    }

    public void check(EventLoop loop, Consumer<Result> done) {
        if (bucket != null) {
            probeBucket(loop, done);
        } else if (credentials != null) {
            credentials.credentials().whenComplete((c, err) -> loop.execute(() -> done.accept(err == null
                    ? new Result(true, null, "ok", "not checked (no --bucket)")
                    : new Result(false, "credentials unavailable: " + message(err), "failed", "not checked"))));
        } else {
            done.accept(new Result(true, null, "not used", "not checked (no --bucket)"));
        }
    }

    private void probeBucket(EventLoop loop, Consumer<Result> done) {
        Once once = new Once(done);
        once.call = caller.call(loop, S3Request.of("HEAD", bucket), new S3Caller.Callback() {
            @Override
            public void onResponse(UpstreamExchange ex, HttpResponse head) {
                Drain.drain(ex);
                once.accept(fromStatus(head));
            }

            @Override
            public void onError(BridgeError error, String detail) {
                boolean creds = error == BridgeError.CREDENTIALS_UNAVAILABLE;
                String why = detail != null ? detail : error.message();
                once.accept(new Result(false, (creds ? "credentials unavailable: " : "S3 unreachable: ") + why,
                        creds ? "failed" : credentials == null ? "not used" : "ok", creds ? "not checked" : "failed"));
            }
        });
        // S3Caller's own bound is the upstream timeout (30 s by default): too long for a probe.
        once.timer = loop.schedule(() -> {
            once.call.cancel();
            once.accept(new Result(false, "S3 did not answer within " + TIMEOUT.toSeconds() + "s",
                    credentials == null ? "not used" : "unknown", "timeout"));
        }, TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Answers a check once: by the S3 outcome or by the timer, whichever comes first. Loop-confined. */
    private static final class Once implements Consumer<Result> {
        private final Consumer<Result> done;
        private boolean answered;
        S3Caller.Call call;
        ScheduledFuture<?> timer;

        Once(Consumer<Result> done) {
            this.done = done;
        }

        @Override
        public void accept(Result r) {
            if (answered) {
                return;
            }
            answered = true;
            if (timer != null) {
                timer.cancel(false);
            }
            done.accept(r);
        }
    }

    private Result fromStatus(HttpResponse head) {
        int status = head.status().code();
        String creds = credentials == null ? "not used" : "ok";
        return switch (status) {
            case 200 -> new Result(true, null, creds, "ok");
            case 404 -> new Result(false, "bucket " + bucketName + " does not exist (S3 answered 404)", creds,
                    "no such bucket");
            case 403 -> new Result(false, "S3 refused the signed HEAD of bucket " + bucketName + " (403): the"
                    + " credentials are wrong, or their policy does not allow s3:ListBucket on it", "refused",
                    "reachable");
            case 301, 400 -> {
                String region = head.headers().get("x-amz-bucket-region");
                yield new Result(false, "S3 answered " + status + " for bucket " + bucketName
                        + (region != null ? ": it is in region " + region + " (set --region " + region + ")"
                        : ": check --region and --endpoint"), creds, "wrong region or endpoint");
            }
            default -> new Result(false, "S3 answered " + status + " to a HEAD of bucket " + bucketName, creds,
                    "error " + status);
        };
    }

    /** A HEAD has no body: read its end so the connection goes back to the pool. */
    private static String message(Throwable t) {
        Throwable c = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
        return c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
    }
}
