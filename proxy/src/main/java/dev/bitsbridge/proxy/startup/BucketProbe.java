package dev.bitsbridge.proxy.startup;

import dev.bitsbridge.proxy.error.BridgeError;
import dev.bitsbridge.proxy.s3.S3Caller;
import dev.bitsbridge.proxy.s3.S3Errors;
import dev.bitsbridge.proxy.s3.S3Paths;
import dev.bitsbridge.proxy.s3.S3Request;
import dev.bitsbridge.proxy.s3.S3Target;
import dev.bitsbridge.proxy.upstream.UpstreamException;
import dev.bitsbridge.proxy.upstream.UpstreamExchange;
import dev.bitsbridge.proxy.upstream.UpstreamListener;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Lists at most one key of the bucket under the served prefix
 * ({@code GET ?list-type=2&max-keys=1&prefix=P}), signed and sent through
 * the same {@link S3Caller} downloads use (so the forward proxy, TLS trust and signing are the
 * real ones), and turns S3's answer into one line: the bucket's absence, a wrong access key or
 * secret, a wrong region (S3 names the right one), expired credentials, a skewed clock. A list
 * has an error body with S3's code, which a HEAD lacks; that is why it is a list.
 *
 * <p>Blocking: {@link #probe} waits on the event loop's answer for at most the timeout given.
 */
final class BucketProbe {

    static final String NAME = "bucket";

    private final S3Caller caller;
    private final EventLoop loop;
    private final Duration timeout;

    BucketProbe(S3Caller caller, EventLoop loop, Duration timeout) {
        this.caller = caller;
        this.loop = loop;
        this.timeout = timeout;
    }

    /** @param prefix the key prefix served (a policy may allow listing under it only); empty for none */
    CheckResult probe(S3Target target, String bucket, String prefix, String region) {
        CompletableFuture<CheckResult> result = new CompletableFuture<>();
        S3Request list = S3Request.of("GET", target);
        list.query().put("list-type", List.of("2"));
        list.query().put("max-keys", List.of("1"));
        if (!prefix.isEmpty()) {
            list.query().put("prefix", List.of(S3Paths.encodeQueryComponent(prefix)));
        }
        loop.execute(() -> caller.call(loop, list, new S3Caller.Callback() {
            @Override
            public void onResponse(UpstreamExchange exchange, HttpResponse head) {
                int status = head.status().code();
                String regionHeader = head.headers().get("x-amz-bucket-region");
                readBody(exchange, body -> result.complete(interpret(status, body, regionHeader, bucket, region)));
            }

            @Override
            public void onError(BridgeError error, String detail) {
                result.complete(CheckResult.fail(NAME, "listing s3://" + bucket + " failed: "
                        + (detail != null ? detail : error.message())));
            }
        }));
        try {
            return result.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return CheckResult.fail(NAME, "S3 did not answer a listing of s3://" + bucket + " within "
                    + timeout.toSeconds() + "s");
        } catch (Exception e) {
            return CheckResult.fail(NAME, "listing s3://" + bucket + " failed: " + EndpointProbe.reason(e));
        }
    }

    /** S3's answer as one line; a plain function, unit-tested without S3. */
    static CheckResult interpret(int status, String body, String regionHeader, String bucket, String region) {
        S3Errors.S3Error e = S3Errors.parse(status, body);
        String code = e.code() == null ? "" : e.code();
        String said = S3Errors.describe(e) == null ? "S3 answered " + status : status + " " + S3Errors.describe(e);
        if (status == 200) {
            return CheckResult.ok(NAME, "s3://" + bucket + " exists and can be listed"
                    + (regionHeader != null ? " (region " + regionHeader + ")" : ""));
        }
        String right = S3Errors.region(body, regionHeader);
        if (right != null && !right.equals(region) && (status == 301 || status == 400 || status == 403)) {
            return CheckResult.fail(NAME, "s3://" + bucket + " is in region " + right + ", not " + region
                    + ": set --region " + right);
        }
        return switch (code) {
            case "NoSuchBucket" -> CheckResult.fail(NAME, "s3://" + bucket + " does not exist (" + said
                    + "): check --bucket, --region and --endpoint");
            case "InvalidAccessKeyId" -> CheckResult.fail(NAME, "S3 does not know the access key (" + said
                    + "): the credentials are wrong or for another account or endpoint; check --profile or"
                    + " AWS_ACCESS_KEY_ID");
            case "SignatureDoesNotMatch" -> CheckResult.fail(NAME, "S3 refused the signature (SignatureDoesNotMatch):"
                    + " the secret key does not belong to the access key; check --profile or AWS_SECRET_ACCESS_KEY");
            case "ExpiredToken", "TokenRefreshRequired" -> CheckResult.fail(NAME, "the credentials have expired ("
                    + code + "): renew them (aws sso login, a new session token) and start again");
            case "RequestTimeTooSkewed" -> CheckResult.fail(NAME, "this machine's clock is too far off for S3 ("
                    + said + "): set the clock (NTP)");
            case "AccessDenied", "AllAccessDisabled" -> CheckResult.warn(NAME, "the credentials may not list s3://"
                    + bucket + " (" + code + "): downloads work only where s3:GetObject is allowed; grant"
                    + " s3:ListBucket for /ready and for 404s instead of 403s");
            default -> status == 301 || status == 307
                    ? CheckResult.fail(NAME, "S3 redirects requests for s3://" + bucket + " (" + said
                            + "): check --region and --endpoint")
                    : CheckResult.fail(NAME, "listing s3://" + bucket + " failed: " + said);
        };
    }

    /** Reads up to 16 KiB of the answer's body (S3's error XML), then hands it over. */
    private static void readBody(UpstreamExchange exchange, java.util.function.Consumer<String> done) {
        StringBuilder text = new StringBuilder();
        exchange.listener(new UpstreamListener() {
            private boolean delivered;

            @Override
            public void onHead(UpstreamExchange ex, HttpResponse head) {
            }

            @Override
            public void onContent(UpstreamExchange ex, HttpContent content) {
                try {
                    if (text.length() < 16 * 1024) {
                        text.append(content.content().toString(StandardCharsets.UTF_8));
                    }
                } finally {
                    content.release();
                }
                if (content instanceof LastHttpContent) {
                    deliver();
                } else {
                    ex.read();
                }
            }

            @Override
            public void onFailure(UpstreamExchange ex, UpstreamException cause) {
                deliver();
            }

            private void deliver() {
                if (!delivered) {
                    delivered = true;
                    done.accept(text.toString());
                }
            }
        });
        exchange.read();
    }
}
