package dev.bitsbridge.proxy.conformance;

import dev.bitsbridge.proxy.testing.S3Server;
import dev.bitsbridge.proxy.testing.S3rver;
import java.net.URI;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * One S3 implementation the conformance suites run against: where it listens, the credentials
 * it checks, and an SDK client to seed it. Download cases ({@link DownloadConformance}) and,
 * later, upload cases take one of these, so every case runs against every implementation.
 */
interface ConformanceUpstream extends AutoCloseable {

    String BUCKET = "conf";

    String name();

    URI endpoint();

    AwsCredentialsProvider credentials();

    /** A client that stores bodies exactly as given (no aws-chunked framing). */
    S3Client client();

    /** s3proxy in-process (filesystem store, signatures checked). */
    static ConformanceUpstream s3proxy() throws Exception {
        S3Server s = new S3Server();
        s.createBucket(BUCKET);
        return new ConformanceUpstream() {
            public String name() {
                return "s3proxy";
            }

            public URI endpoint() {
                return s.endpoint();
            }

            public AwsCredentialsProvider credentials() {
                return s.credentials();
            }

            public S3Client client() {
                return s.client();
            }

            public void close() throws Exception {
                s.close();
            }
        };
    }

    /** s3rver as a child process; skips the calling tests where it is not installed. */
    static ConformanceUpstream s3rver() throws Exception {
        S3rver s = new S3rver(BUCKET);
        return new ConformanceUpstream() {
            public String name() {
                return "s3rver";
            }

            public URI endpoint() {
                return s.endpoint();
            }

            public AwsCredentialsProvider credentials() {
                return s.credentials();
            }

            public S3Client client() {
                return s.client();
            }

            public void close() throws Exception {
                s.close();
            }
        };
    }
}
