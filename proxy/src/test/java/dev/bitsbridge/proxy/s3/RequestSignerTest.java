package dev.bitsbridge.proxy.s3;

import dev.bitsbridge.proxy.upstream.UpstreamEndpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;

/**
 * SigV4 signatures: the published S3 GET-object example vector, and an independent recomputation
 * (javax.crypto, written from the specification) for the UNSIGNED-PAYLOAD requests the proxy sends.
 */
class RequestSignerTest {

    private static final String AK = "AKIAIOSFODNN7EXAMPLE";
    private static final String SK = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    private static final Clock EXAMPLE_TIME = Clock.fixed(Instant.parse("2013-05-24T00:00:00Z"), ZoneOffset.UTC);
    private static final String EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    private static final Pattern AUTH = Pattern.compile(
            "AWS4-HMAC-SHA256 Credential=([^/]+)/(\\d{8})/([^/]+)/s3/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})");

    @Test
    void independentSigV4ReproducesTheAwsGetObjectExample() throws Exception {
        // https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html, "GET Object".
        // RequestSigner itself cannot produce this vector: it always sends UNSIGNED-PAYLOAD (even over
        // plain HTTP), while the example signs the empty-payload hash. So the vector checks the
        // test's own SigV4, which then checks RequestSigner below.
        Map<String, String> headers = new TreeMap<>(Map.of(
                "host", "examplebucket.s3.amazonaws.com",
                "range", "bytes=0-9",
                "x-amz-content-sha256", EMPTY_SHA256,
                "x-amz-date", "20130524T000000Z"));
        assertEquals("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
                sigV4("GET", "/test.txt", "", headers, EMPTY_SHA256, "20130524T000000Z", "us-east-1"));
    }

    @Test
    void theExampleRequestSignedByRequestSigner() throws Exception {
        S3Target target = new S3Target(new UpstreamEndpoint(false, "examplebucket.s3.amazonaws.com", 80), "/test.txt");
        HttpHeaders h = new DefaultHttpHeaders();
        h.set("Host", "examplebucket.s3.amazonaws.com");
        h.set("Range", "bytes=0-9");
        new RequestSigner("us-east-1", EXAMPLE_TIME).sign("GET", target, Map.of(), h, AwsBasicCredentials.create(AK, SK));

        assertEquals("UNSIGNED-PAYLOAD", h.get("x-amz-content-sha256"));
        assertEquals("20130524T000000Z", h.get("X-Amz-Date"));
        Map<String, String> headers = new TreeMap<>(Map.of(
                "host", "examplebucket.s3.amazonaws.com",
                "range", "bytes=0-9",
                "x-amz-content-sha256", "UNSIGNED-PAYLOAD",
                "x-amz-date", "20130524T000000Z"));
        assertEquals("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature="
                + sigV4("GET", "/test.txt", "", headers, "UNSIGNED-PAYLOAD", "20130524T000000Z", "us-east-1"),
                h.get("Authorization").replace(",S", ", S"));
    }

    @Test
    void unsignedPayloadRequestMatchesAnIndependentSigV4() throws Exception {
        String encodedPath = S3Paths.encodeKey("/dir/My File+(1)=&@'%2F\u00e9.msi");
        S3Target target = new S3Target(new UpstreamEndpoint(true, "my-bucket.s3.eu-west-1.amazonaws.com", 443), encodedPath);
        HttpHeaders h = new DefaultHttpHeaders();
        h.set("Host", "my-bucket.s3.eu-west-1.amazonaws.com");
        h.set("Range", "bytes=100-");
        h.set("If-None-Match", "\"abc\"");
        Map<String, List<String>> query = new LinkedHashMap<>();
        // Already encoded, as S3Request.uri() sends it.
        query.put("versionId", List.of(S3Paths.encodeQueryComponent("v/1 2+")));
        query.put("partNumber", List.of("3"));
        Clock clock = Clock.fixed(Instant.parse("2025-02-03T04:05:06Z"), ZoneOffset.UTC);
        AwsSessionCredentials creds = AwsSessionCredentials.create(AK, SK, "TOKEN/with+chars=");

        new RequestSigner("eu-west-1", clock).sign("HEAD", target, query, h, creds);

        assertEquals("UNSIGNED-PAYLOAD", h.get("x-amz-content-sha256"));
        assertEquals("20250203T040506Z", h.get("X-Amz-Date"));
        assertEquals("TOKEN/with+chars=", h.get("X-Amz-Security-Token"));
        Matcher m = AUTH.matcher(h.get("Authorization"));
        assertTrue(m.matches(), h.get("Authorization"));
        assertEquals(AK, m.group(1));
        assertEquals("20250203", m.group(2));
        assertEquals("eu-west-1", m.group(3));
        assertEquals("host;if-none-match;range;x-amz-content-sha256;x-amz-date;x-amz-security-token", m.group(4));

        Map<String, String> signed = new TreeMap<>();
        for (String name : m.group(4).split(";")) {
            signed.put(name, h.get(name).trim());
        }
        String expected = sigV4("HEAD", encodedPath, "partNumber=3&versionId=v%2F1%202%2B", signed,
                "UNSIGNED-PAYLOAD", "20250203T040506Z", "eu-west-1");
        assertEquals(expected, m.group(5));
    }

    @Test
    void eachMethodAndRangeGetsItsOwnSignature() {
        S3Target target = new S3Target(new UpstreamEndpoint(true, "b.s3.us-east-1.amazonaws.com", 443), "/k");
        RequestSigner signer = new RequestSigner("us-east-1", EXAMPLE_TIME);
        AwsBasicCredentials creds = AwsBasicCredentials.create(AK, SK);
        HttpHeaders get = new DefaultHttpHeaders().set("Host", "b.s3.us-east-1.amazonaws.com");
        HttpHeaders head = new DefaultHttpHeaders().set("Host", "b.s3.us-east-1.amazonaws.com");
        HttpHeaders ranged = new DefaultHttpHeaders().set("Host", "b.s3.us-east-1.amazonaws.com").set("Range", "bytes=0-1");
        signer.sign("GET", target, Map.of(), get, creds);
        signer.sign("HEAD", target, Map.of(), head, creds);
        signer.sign("GET", target, Map.of(), ranged, creds);
        assertNotEquals(get.get("Authorization"), head.get("Authorization"));
        assertNotEquals(get.get("Authorization"), ranged.get("Authorization"));
        assertEquals(null, get.get("X-Amz-Security-Token"));
    }

    /**
     * The SDK's signer, configured as the proxy used it before it had its own, is the oracle: both
     * sign 500 random requests (awkward keys, query parameters, headers with runs of spaces,
     * repeated headers, session tokens, several days) and must agree byte for byte.
     */
    @Test
    void signsExactlyAsTheSdkSignerForRandomRequests() {
        java.util.Random rnd = new java.util.Random(4);
        software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner sdk =
                software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner.create();
        String[] keyParts = {"a", "dir/", "My File", "+", "=", "&", "@", "'", "%2F", "\u00e9", "\ud83d\ude00", "~", "(1)", ".msi"};
        for (int i = 0; i < 500; i++) {
            StringBuilder key = new StringBuilder("/");
            for (int j = 0; j < 1 + rnd.nextInt(6); j++) {
                key.append(keyParts[rnd.nextInt(keyParts.length)]);
            }
            String encodedPath = S3Paths.encodeKey(key.toString());
            String host = rnd.nextBoolean() ? "b" + i + ".s3.eu-west-1.amazonaws.com" : "127.0.0.1:" + (9000 + i);
            S3Target target = new S3Target(new UpstreamEndpoint(rnd.nextBoolean(), host.replaceAll(":.*", ""),
                    host.contains(":") ? 9000 + i : 443), encodedPath);
            HttpHeaders h = new DefaultHttpHeaders();
            h.set("Host", host);
            h.set("User-Agent", "bitsbridge/test");
            if (rnd.nextBoolean()) {
                h.set("Range", "bytes=" + rnd.nextInt(1000) + "-" + (1000 + rnd.nextInt(1000)));
            }
            if (rnd.nextBoolean()) {
                h.set("If-Match", "\"etag  " + i + "\"");
            }
            if (rnd.nextInt(4) == 0) {
                h.add("X-Amz-Meta-Twice", "one");
                h.add("X-Amz-Meta-Twice", "two  three");
            }
            Map<String, List<String>> query = new LinkedHashMap<>();
            if (rnd.nextBoolean()) {
                query.put("versionId", List.of(S3Paths.encodeQueryComponent("v/" + i + " +=")));
            }
            if (rnd.nextBoolean()) {
                query.put("partNumber", List.of(Integer.toString(1 + rnd.nextInt(100))));
            }
            Clock clock = Clock.fixed(Instant.parse("2025-02-03T04:05:06Z").plusSeconds(rnd.nextInt(5 * 86400)),
                    ZoneOffset.UTC);
            software.amazon.awssdk.identity.spi.AwsCredentialsIdentity creds = rnd.nextBoolean()
                    ? AwsBasicCredentials.create(AK, SK + i)
                    : AwsSessionCredentials.create(AK, SK + i, "TOKEN/" + i + "+=");
            String method = rnd.nextBoolean() ? "GET" : "HEAD";

            HttpHeaders ours = new DefaultHttpHeaders().set(h);
            new RequestSigner("eu-west-1", clock).sign(method, target, query, ours, creds);

            software.amazon.awssdk.http.SdkHttpRequest.Builder b = software.amazon.awssdk.http.SdkHttpRequest.builder()
                    .method(software.amazon.awssdk.http.SdkHttpMethod.fromValue(method))
                    .protocol(target.endpoint().scheme()).host(target.endpoint().host()).port(target.endpoint().port())
                    .encodedPath(encodedPath);
            query.forEach((n, vs) -> b.putRawQueryParameter(n, vs.stream()
                    .map(v -> java.net.URLDecoder.decode(v.replace("+", "%2B"), StandardCharsets.UTF_8)).toList()));
            for (Map.Entry<String, String> e : h) {
                b.appendHeader(e.getKey(), e.getValue());
            }
            software.amazon.awssdk.http.SdkHttpRequest theirs = sdk.sign(r -> r.identity(creds).request(b.build())
                    .putProperty(software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner.SERVICE_SIGNING_NAME, "s3")
                    .putProperty(software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner.REGION_NAME, "eu-west-1")
                    .putProperty(software.amazon.awssdk.http.auth.spi.signer.HttpSigner.SIGNING_CLOCK, clock)
                    .putProperty(software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner.DOUBLE_URL_ENCODE, false)
                    .putProperty(software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner.NORMALIZE_PATH, false)
                    .putProperty(software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner.PAYLOAD_SIGNING_ENABLED,
                            false)).request();
            String context = method + " " + host + encodedPath + " " + query + " " + h;
            assertEquals(theirs.firstMatchingHeader("Authorization").orElseThrow().replace(",S", ", S"),
                    ours.get("Authorization"), context);
            assertEquals(theirs.firstMatchingHeader("X-Amz-Date").orElseThrow(), ours.get("X-Amz-Date"), context);
            assertEquals(theirs.firstMatchingHeader("X-Amz-Security-Token").orElse(null),
                    ours.get("X-Amz-Security-Token"), context);
        }
    }

    /** SigV4 from the specification, for S3 (no double encoding, no path normalisation). */
    private static String sigV4(String method, String path, String canonicalQuery, Map<String, String> headers,
            String payloadHash, String amzDate, String region) throws Exception {
        StringBuilder canonical = new StringBuilder();
        canonical.append(method).append('\n').append(path).append('\n').append(canonicalQuery).append('\n');
        headers.forEach((k, v) -> canonical.append(k).append(':').append(v).append('\n'));
        canonical.append('\n').append(String.join(";", headers.keySet())).append('\n').append(payloadHash);
        String date = amzDate.substring(0, 8);
        String scope = date + "/" + region + "/s3/aws4_request";
        String toSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex(sha256(canonical.toString()));
        byte[] k = hmac(("AWS4" + SK).getBytes(StandardCharsets.UTF_8), date);
        k = hmac(k, region);
        k = hmac(k, "s3");
        k = hmac(k, "aws4_request");
        return hex(hmac(k, toSign));
    }

    private static byte[] sha256(String s) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] hmac(byte[] key, String data) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    }

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
