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
        return of("s3proxy", s.endpoint(), s.credentials(), s.client(), s);
    }

    /** s3rver as a child process; skips the calling tests where it is not installed. */
    static ConformanceUpstream s3rver() throws Exception {
        S3rver s = new S3rver(BUCKET);
        return of("s3rver", s.endpoint(), s.credentials(), s.client(), s);
    }

    private static ConformanceUpstream of(String name, URI endpoint, AwsCredentialsProvider credentials,
            S3Client client, AutoCloseable server) {
        record Upstream(String name, URI endpoint, AwsCredentialsProvider credentials, S3Client client,
                AutoCloseable server) implements ConformanceUpstream {
            @Override
            public void close() throws Exception {
                server.close();
            }
        }
        return new Upstream(name, endpoint, credentials, client, server);
    }
}
