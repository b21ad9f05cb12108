package dev.bitsbridge.proxy.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.config.ConfigException;
import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.config.SharedStateConfig;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.S3Server;
import dev.bitsbridge.proxy.testing.S3rver;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

/**
 * The start-up check of shared mode: a server with {@code --state-bucket} starts only where the
 * state bucket is readable and writable and {@code PUT If-None-Match: *} is refused for an existing
 * key (every compare-and-swap rests on it); otherwise start fails with one line saying why.
 */
class SharedStateProbeTest {

    private static ProxyConfig config(URI endpoint, String stateBucket) {
        return ProxyConfig.builder().port(0).bucket("data").region("us-east-1").endpoint(endpoint)
                .sharedState(SharedStateConfig.OFF.withBucket(stateBucket)).build();
    }

    @Test
    void s3proxyPassesAndLeavesNothingBehind() throws Exception {
        try (S3Server s3 = new S3Server()) {
            s3.createBucket("data");
            s3.createBucket("state");
            try (S3SharedState state = S3SharedState.create(config(s3.endpoint(), "state"), s3.credentials(), null)) {
                assertNull(state.probe());
            }
            assertEquals(0, s3.client().listObjectsV2(r -> r.bucket("state")).keyCount(), "the probe object deleted");
            try (BitsBridgeServer server = new BitsBridgeServer(config(s3.endpoint(), "state"), s3.credentials())) {
                server.start();
                assertTrue(server.port() > 0);
            }
        }
    }

    @Test
    void aMissingStateBucketFailsStartInOneLine() throws Exception {
        try (S3Server s3 = new S3Server()) {
            s3.createBucket("data");
            ConfigException e = assertThrows(ConfigException.class, () -> start(s3.endpoint(), "nosuchbucket",
                    s3.credentials()));
            assertTrue(e.getMessage().startsWith("--state-bucket: the state bucket s3://nosuchbucket/.bitsbridge/state/"
                    + " cannot be written (404 NoSuchBucket)"), e.getMessage());
            assertEquals(1, e.getMessage().lines().count());
        }
    }

    /** s3rver 3.7.1 overwrites on PUT If-None-Match: *: a cluster on it would spend one-time links twice. */
    @Test
    void anEndpointThatIgnoresConditionalWritesIsRefused() throws Exception {
        try (S3rver s = new S3rver("data", "state")) { // skips the test where s3rver is not installed
            ConfigException e = assertThrows(ConfigException.class, () -> start(s.endpoint(), "state",
                    s.credentials()));
            assertEquals("--state-bucket: the state bucket's endpoint ignores PUT If-None-Match: * (it overwrote an"
                    + " existing object): shared state needs atomic conditional writes (AWS S3, MinIO, s3proxy do;"
                    + " s3rver does not)", e.getMessage());
            assertEquals(List.of(), s.client().listObjectsV2(r -> r.bucket("state")).contents(), "probe deleted");
        }
    }

    private static void start(URI endpoint, String stateBucket, AwsCredentialsProvider credentials) throws Exception {
        BitsBridgeServer server = new BitsBridgeServer(config(endpoint, stateBucket).toBuilder().pathStyle(true).build(),
                credentials);
        try {
            server.start();
        } finally {
            server.stop(java.time.Duration.ZERO);
        }
    }
}
