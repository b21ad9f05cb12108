package dev.bitsbridge.proxy.links;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.upstream.UpstreamEndpoint;
import java.net.InetAddress;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Issue #15, finding 2: S3 host names only, https:443 only, and no private addresses. */
class UpstreamAllowlistTest {

    private final UpstreamAllowlist defaults = new UpstreamAllowlist(null, List.of());

    private static UpstreamEndpoint https(String host) {
        return new UpstreamEndpoint(true, host, 443);
    }

    @Test
    void s3HostNamesInEveryFormAreAllowedOverHttps() {
        for (String h : List.of("s3.amazonaws.com", "my-bucket.s3.amazonaws.com", "s3.eu-west-1.amazonaws.com",
                "my.dotted.bucket.s3.eu-west-1.amazonaws.com", "s3-eu-west-1.amazonaws.com",
                "b.s3-accelerate.amazonaws.com", "b.s3-accelerate.dualstack.amazonaws.com",
                "b.s3.dualstack.us-east-1.amazonaws.com", "b.s3.cn-north-1.amazonaws.com.cn",
                "s3-fips.us-gov-west-1.amazonaws.com", "ap-123456789012.s3-accesspoint.us-east-1.amazonaws.com",
                "s3-external-1.amazonaws.com", "S3.EU-WEST-1.AMAZONAWS.COM.")) {
            assertTrue(defaults.allows(https(h)), h);
        }
    }

    @Test
    void otherAmazonawsNamesOtherPortsAndPlainHttpAreRefused() {
        for (String h : List.of("vpc-logs-abc123.eu-west-1.es.amazonaws.com", "mydb.abc.eu-west-1.rds.amazonaws.com",
                "internal-app-1.eu-west-1.elb.amazonaws.com", "ec2-1-2-3-4.compute-1.amazonaws.com",
                "vpce-0a1b.s3.us-east-1.vpce.amazonaws.com", "amazonaws.com", "s3.amazonaws.com.evil.example",
                "169.254.169.254", "localhost")) {
            assertFalse(defaults.allows(https(h)), h);
            assertNotNull(defaults.why(https(h)));
        }
        assertFalse(defaults.allows(new UpstreamEndpoint(true, "b.s3.amazonaws.com", 8443)));
        assertFalse(defaults.allows(new UpstreamEndpoint(false, "b.s3.amazonaws.com", 80)));
        assertTrue(defaults.why(new UpstreamEndpoint(false, "b.s3.amazonaws.com", 80)).contains("https"));
    }

    @Test
    void explicitEntriesNameSchemeAndPort() {
        UpstreamAllowlist a = new UpstreamAllowlist(URI.create("http://minio.lan:9000"),
                List.of("files.example.com", "http://legacy.example.com:8080", "10.0.0.5:9000"));
        assertTrue(a.allows(new UpstreamEndpoint(false, "minio.lan", 9000)));
        assertFalse(a.allows(new UpstreamEndpoint(true, "minio.lan", 9000)), "the endpoint's scheme only");
        assertTrue(a.allows(https("files.example.com")));
        assertFalse(a.allows(new UpstreamEndpoint(true, "files.example.com", 8443)), "no port: default ports only");
        assertTrue(a.allows(new UpstreamEndpoint(false, "legacy.example.com", 8080)));
        assertFalse(a.allows(new UpstreamEndpoint(true, "legacy.example.com", 8080)));
        assertTrue(a.allows(new UpstreamEndpoint(false, "10.0.0.5", 9000)));
    }

    @Test
    void privateLoopbackLinkLocalAndMetadataAddressesAreRefusedAtConnect() throws Exception {
        UpstreamAllowlist a = new UpstreamAllowlist(URI.create("http://127.0.0.1:9000"),
                List.of("localhost:9001", "10.0.0.5:9000"));
        UpstreamEndpoint s3 = https("b.s3.eu-west-1.amazonaws.com");
        for (String ip : List.of("127.0.0.1", "::1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
                "fd00:ec2::254", "fc00::1", "fe80::1", "100.64.0.1", "0.0.0.0", "::ffff:127.0.0.1", "::ffff:10.0.0.1")) {
            String why = a.refusal(s3, InetAddress.getByName(ip));
            assertNotNull(why, ip);
            assertTrue(why.contains("private"), why);
        }
        assertNull(a.refusal(s3, InetAddress.getByName("52.218.1.1")));
        assertNull(a.refusal(s3, InetAddress.getByName("2600:1f18::1")));
        // A name the operator allowed is still checked; the --endpoint and IP entries are not.
        assertNotNull(a.refusal(new UpstreamEndpoint(false, "localhost", 9001), InetAddress.getByName("127.0.0.1")));
        assertNull(a.refusal(new UpstreamEndpoint(false, "127.0.0.1", 9000), InetAddress.getByName("127.0.0.1")));
        assertNull(a.refusal(new UpstreamEndpoint(false, "10.0.0.5", 9000), InetAddress.getByName("10.0.0.5")));
        UpstreamAllowlist open = new UpstreamAllowlist(null, List.of("localhost:9001"), true);
        assertNull(open.refusal(new UpstreamEndpoint(false, "localhost", 9001), InetAddress.getByName("127.0.0.1")));
    }
}
