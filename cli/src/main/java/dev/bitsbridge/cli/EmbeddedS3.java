package dev.bitsbridge.cli;

import java.net.URI;
import java.nio.file.Path;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;

/**
 * The demo's S3 server: s3proxy on loopback, files under a folder, every signature checked.
 *
 * <p>The only class of the launcher that names s3proxy types. s3proxy (with Jetty and its other
 * dependencies) is not in bitsbridge.jar but in demo/bitsbridge-demo-s3.jar beside it, which
 * bitsbridge.jar's manifest names in its Class-Path; the distribution leaves it out. So this class
 * is loaded only by {@link DemoCommand}, after it checked that s3proxy is there (the check lives
 * there, not here: linking this class may already need s3proxy's classes). Every other command
 * runs without s3proxy on the classpath.
 */
final class EmbeddedS3 {

    private final S3Proxy s3;

    private EmbeddedS3(S3Proxy s3) {
        this.s3 = s3;
    }

    /** Starts on a free loopback port, storing objects under {@code dir}. */
    static EmbeddedS3 start(Path dir, String accessKey, String secretKey) throws Exception {
        S3Proxy s3 = S3Proxy.builder()
                .blobStore(new FilesystemNio2BlobStore(dir.toString()))
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
                .stopTimeout(0)
                .build();
        s3.start();
        while (!"STARTED".equals(s3.getState())) {
            Thread.sleep(10);
        }
        return new EmbeddedS3(s3);
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + s3.getPort());
    }

    void stop() throws Exception {
        s3.stop();
    }
}
