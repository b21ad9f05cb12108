package dev.bitsbridge.proxy.s3;

import dev.bitsbridge.proxy.upstream.UpstreamEndpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import org.junit.jupiter.api.Test;

/** Host and path of S3 requests for AWS and custom endpoints. */
class S3AddressingTest {

    private static final S3Location OBJ = new S3Location("my-bucket", "dir/a b.txt");

    private static S3Target aws(String region, boolean pathStyle, boolean accelerate, boolean dualstack, S3Location l) {
        return new S3Addressing(region, null, pathStyle, accelerate, dualstack).target(l);
    }

    private static S3Target custom(String endpoint, boolean pathStyle, S3Location l) {
        return new S3Addressing("us-east-1", URI.create(endpoint), pathStyle, false, false).target(l);
    }

    @Test
    void awsVirtualHostedByDefault() {
        S3Target t = aws("eu-west-1", false, false, false, OBJ);
        assertEquals(new UpstreamEndpoint(true, "my-bucket.s3.eu-west-1.amazonaws.com", 443), t.endpoint());
        assertEquals("/dir/a%20b.txt", t.encodedPath());
        assertEquals("my-bucket.s3.eu-west-1.amazonaws.com", t.endpoint().hostHeader());
        assertEquals("https://my-bucket.s3.eu-west-1.amazonaws.com", t.endpoint().toString());
    }

    @Test
    void awsPathStyleWhenAsked() {
        S3Target t = aws("eu-west-1", true, false, false, OBJ);
        assertEquals(new UpstreamEndpoint(true, "s3.eu-west-1.amazonaws.com", 443), t.endpoint());
        assertEquals("/my-bucket/dir/a%20b.txt", t.encodedPath());
    }

    @Test
    void dottedBucketOverHttpsFallsBackToPathStyle() {
        S3Target t = aws("us-east-2", false, false, false, new S3Location("my.bucket", "k"));
        assertEquals("s3.us-east-2.amazonaws.com", t.endpoint().host());
        assertEquals("/my.bucket/k", t.encodedPath());
    }

    @Test
    void accelerateAndDualstack() {
        assertEquals("my-bucket.s3-accelerate.amazonaws.com", aws("us-east-1", false, true, false, OBJ).endpoint().host());
        assertEquals("my-bucket.s3-accelerate.dualstack.amazonaws.com",
                aws("us-east-1", false, true, true, OBJ).endpoint().host());
        assertEquals("/dir/a%20b.txt", aws("us-east-1", false, true, true, OBJ).encodedPath());
        assertEquals("my-bucket.s3.dualstack.ap-south-1.amazonaws.com",
                aws("ap-south-1", false, false, true, OBJ).endpoint().host());
        assertTrue(S3Addressing.accelerateCompatible("my-bucket"));
        assertFalse(S3Addressing.accelerateCompatible("my.bucket"));
    }

    @Test
    void chinaPartition() {
        assertEquals("my-bucket.s3.cn-north-1.amazonaws.com.cn", aws("cn-north-1", false, false, false, OBJ).endpoint().host());
        assertEquals("my-bucket.s3.dualstack.cn-northwest-1.amazonaws.com.cn",
                aws("cn-northwest-1", false, false, true, OBJ).endpoint().host());
        assertEquals("cn-north-1", new S3Addressing("cn-north-1", null, false, false, false).region());
    }

    @Test
    void ipAndLocalhostEndpointsArePathStyle() {
        S3Target t = custom("http://127.0.0.1:9000", false, OBJ);
        assertEquals(new UpstreamEndpoint(false, "127.0.0.1", 9000), t.endpoint());
        assertEquals("/my-bucket/dir/a%20b.txt", t.encodedPath());
        assertEquals("127.0.0.1:9000", t.endpoint().hostHeader());
        assertEquals("localhost", custom("http://localhost:9000", false, OBJ).endpoint().host());
        assertEquals("/my-bucket/dir/a%20b.txt", custom("http://LOCALHOST", false, OBJ).encodedPath());
        S3Target v6 = custom("http://[::1]:9000", false, OBJ);
        assertEquals("::1", v6.endpoint().host());
        assertEquals("[::1]:9000", v6.endpoint().hostHeader());
        assertEquals("/my-bucket/dir/a%20b.txt", v6.encodedPath());
    }

    @Test
    void customHostnameEndpointIsVirtualHostedUnlessDottedOrAsked() {
        S3Target t = custom("https://minio.example.com", false, OBJ);
        assertEquals(new UpstreamEndpoint(true, "my-bucket.minio.example.com", 443), t.endpoint());
        assertEquals("my-bucket.minio.example.com", t.endpoint().hostHeader());
        assertEquals("/dir/a%20b.txt", t.encodedPath());
        assertEquals("/my.bucket/k", custom("https://minio.example.com", false, new S3Location("my.bucket", "k")).encodedPath());
        // Over plain HTTP there is no certificate to break: dots may stay in the host.
        assertEquals("my.bucket.minio.example.com",
                custom("http://minio.example.com", false, new S3Location("my.bucket", "k")).endpoint().host());
        assertEquals("/my-bucket/dir/a%20b.txt", custom("https://minio.example.com", true, OBJ).encodedPath());
    }

    @Test
    void customEndpointWithBasePathAndPorts() {
        S3Target t = custom("https://gw.example.com:8443/storage/s3/", true, OBJ);
        assertEquals(new UpstreamEndpoint(true, "gw.example.com", 8443), t.endpoint());
        assertEquals("/storage/s3/my-bucket/dir/a%20b.txt", t.encodedPath());
        assertEquals("gw.example.com:8443", t.endpoint().hostHeader());
        assertEquals("/storage/dir/a%20b.txt", custom("https://gw.example.com/storage", false, OBJ).encodedPath());
        assertEquals(80, custom("http://gw.example.com", false, OBJ).endpoint().port());
        assertEquals("my-bucket.gw.example.com", custom("http://gw.example.com:80", false, OBJ).endpoint().hostHeader());
    }

    @Test
    void bucketTarget() {
        S3Addressing a = new S3Addressing("us-east-1", URI.create("http://127.0.0.1:9000"), false, false, false);
        assertEquals("/my-bucket/", a.bucketTarget("my-bucket").encodedPath());
        assertEquals("/", new S3Addressing("us-east-1", null, false, false, false).bucketTarget("my-bucket").encodedPath());
    }

    @Test
    void refusesEndpointsThatAreNotHttpUrls() {
        assertThrows(IllegalArgumentException.class,
                () -> new S3Addressing("us-east-1", URI.create("ftp://example.com"), false, false, false));
        assertThrows(IllegalArgumentException.class,
                () -> new S3Addressing("us-east-1", URI.create("example.com"), false, false, false));
        assertThrows(IllegalArgumentException.class,
                () -> new S3Addressing("us-east-1", URI.create("http:///path"), false, false, false));
    }

    /** The one flag the AWS SDK takes (SdkS3Clients) follows the same rule as the targets. */
    @Test
    void pathStyleFlagAgreesWithTheTargets() {
        String[][] cases = {
            {"https://minio.example.com", "plain-bucket"},
            {"https://minio.example.com", "dotted.bucket.name"},
            {"http://minio.example.com", "dotted.bucket.name"},
            {"http://127.0.0.1:9000", "plain-bucket"},
            {"http://localhost:9000", "plain-bucket"},
        };
        for (String[] c : cases) {
            S3Addressing a = new S3Addressing("us-east-1", URI.create(c[0]), false, false, false);
            boolean targetIsPathStyle = a.target(new S3Location(c[1], "k")).encodedPath().startsWith("/" + c[1] + "/");
            assertEquals(targetIsPathStyle, a.pathStyle(c[1]), c[0] + " " + c[1]);
        }
        S3Addressing aws = new S3Addressing("eu-west-1", null, false, false, false);
        assertFalse(aws.pathStyle("my-bucket"));
        assertTrue(aws.pathStyle("dotted.bucket.name"), "a dotted bucket breaks TLS as a virtual host");
        assertFalse(new S3Addressing("eu-west-1", null, false, true, false).pathStyle("my-bucket"), "accelerate");
    }
}
