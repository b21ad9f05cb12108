package dev.bitsbridge.proxy.testing;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;

/**
 * A real S3 API server in-process: s3proxy on 127.0.0.1 (port 0), filesystem-backed in a temp
 * folder (so multi-GiB objects do not sit in the heap), with SigV2/SigV4 signature checking on.
 * Fixtures seed it through the AWS SDK, a real S3 client.
 */
public final class S3Server implements AutoCloseable {

    public static final String ACCESS_KEY = "AKIDBITSBRIDGETEST";

    private final String secretKey = "secret-" + UUID.randomUUID();
    private final Path dir;
    private final BlobStore store;
    private final S3Proxy s3proxy;
    private final S3Client client;
    private final URI endpoint;

    public S3Server() throws Exception {
        dir = Files.createTempDirectory("bitsbridge-s3");
        store = new FilesystemNio2BlobStore(dir.toString());
        s3proxy = S3Proxy.builder()
                .blobStore(store)
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, secretKey)
                .stopTimeout(0)
                .build();
        s3proxy.start();
        Await.until(Duration.ofSeconds(30), () -> s3proxy.getState().equals("STARTED"),
                () -> "s3proxy in state " + s3proxy.getState());
        endpoint = URI.create("http://127.0.0.1:" + s3proxy.getPort());
        client = S3Client.builder()
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .credentialsProvider(credentials())
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build())
                .httpClient(UrlConnectionHttpClient.create())
                .build();
    }

    public URI endpoint() {
        return endpoint;
    }

    public String secretKey() {
        return secretKey;
    }

    public StaticCredentialsProvider credentials() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, secretKey));
    }

    public S3Client client() {
        return client;
    }

    public void createBucket(String bucket) {
        client.createBucket(b -> b.bucket(bucket));
    }

    public void put(String bucket, String key, byte[] data) {
        put(bucket, key, data, "application/octet-stream");
    }

    public void put(String bucket, String key, byte[] data, String contentType) {
        client.putObject(b -> b.bucket(bucket).key(key).contentType(contentType), RequestBody.fromBytes(data));
    }

    public void put(String bucket, String key, Path file) {
        client.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromFile(file));
    }

    @Override
    public void close() throws Exception {
        client.close();
        s3proxy.stop();
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort
                }
            });
        }
    }
}
