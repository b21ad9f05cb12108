package dev.bitsbridge.proxy.server;

import dev.bitsbridge.proxy.s3.CredentialSource;
import dev.bitsbridge.proxy.s3.RequestSigner;
import dev.bitsbridge.proxy.s3.S3Target;
import dev.bitsbridge.proxy.upstream.UpstreamEndpoint;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;

/**
 * Start-up work moved off the path to the first byte: on a background thread, right after the
 * port is bound, load the TLS trust store, fetch the first credentials and sign a throw-away
 * request (which loads the signer's classes). The first real request then finds all three ready
 * instead of paying for them (about a second on a small machine). What no request needs soon
 * (the JVM metrics) runs last, {@link #LATER_MILLIS} after the rest: on two cores, loading the JMX
 * classes while the first request is served delays that request's first byte.
 */
final class Warmup {

    private static final Logger log = LoggerFactory.getLogger(Warmup.class);

    /** How long after the port is bound the JVM metrics are bound (a scrape before binds them itself). */
    static final long LATER_MILLIS = 2000;

    private Warmup() {
    }

    /**
     * @param tls the upstream TLS context, or null when the upstream is plain HTTP (no trust store
     *     to load: on 2 cores that work would only slow the start)
     * @param afterwards run at the end, {@link #LATER_MILLIS} after the first request's needs
     */
    static void start(Supplier<?> tls, CredentialSource credentials, String region, Runnable afterwards) {
        Thread t = new Thread(() -> {
            if (credentials != null) {
                credentials.credentials(); // starts the fetch on the credentials thread
            }
            try {
                new RequestSigner(region).sign("GET", new S3Target(new UpstreamEndpoint(true, "warmup.invalid", 443),
                        "/warmup"), Map.of(), new DefaultHttpHeaders().set("Host", "warmup.invalid"),
                        AwsBasicCredentials.create("WARMUP", "warmup"));
            } catch (RuntimeException e) {
                log.debug("warm-up signing: {}", e.toString());
            }
            if (tls != null) {
                try {
                    tls.get();
                } catch (RuntimeException e) {
                    // The first real use does the same work and fails the same way; say so now.
                    log.error("TLS to the upstream will not work: {}", e.getMessage());
                }
            }
            try {
                Thread.sleep(LATER_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            try {
                afterwards.run();
            } catch (RuntimeException e) {
                log.warn("warm-up: {}", e.toString());
            }
        }, "bitsbridge-warmup");
        t.setDaemon(true);
        t.start();
    }
}
