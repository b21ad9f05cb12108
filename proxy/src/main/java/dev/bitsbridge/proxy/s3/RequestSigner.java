package dev.bitsbridge.proxy.s3;

import io.netty.handler.codec.http.HttpHeaders;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

/**
 * Signs one upstream request with SigV4 for its own method, using the SDK's standalone signer.
 * The request's path must already be encoded exactly as it will be sent; S3 signs it as is (no
 * double encoding, no normalisation). The body is never hashed ({@code UNSIGNED-PAYLOAD}, which S3
 * accepts over HTTP and HTTPS): GET and HEAD have none, and upload parts carry Content-MD5, which is
 * signed and checked by S3, so the bytes still cannot be altered unnoticed.
 *
 * <p>Stateless and thread-safe; one instance serves all event loops.
 */
public final class RequestSigner {

    private final AwsV4HttpSigner signer = AwsV4HttpSigner.create();
    private final String region;
    private final Clock clock;

    public RequestSigner(String region) {
        this(region, Clock.systemUTC());
    }

    /** For tests: signing at a fixed instant is what makes a published SigV4 vector reproducible. */
    RequestSigner(String region, Clock clock) {
        this.region = region;
        this.clock = clock;
    }

    /**
     * Signs and adds the authentication headers ({@code Authorization}, {@code X-Amz-Date},
     * {@code x-amz-content-sha256}, {@code X-Amz-Security-Token}) to {@code headers}, which must
     * already hold every other header to send, Host included.
     *
     * @param rawQuery query parameters, names and values already encoded; may be empty
     */
    public void sign(String method, S3Target target, Map<String, List<String>> rawQuery,
            HttpHeaders headers, AwsCredentialsIdentity credentials) {
        UpstreamEndpoint ep = target.endpoint();
        SdkHttpRequest.Builder b = SdkHttpRequest.builder()
                .method(SdkHttpMethod.fromValue(method))
                .protocol(ep.scheme())
                .host(ep.host())
                .port(ep.port())
                .encodedPath(target.encodedPath().isEmpty() ? "/" : target.encodedPath());
        // The SDK's "raw" query parameters are unencoded values that it encodes itself for the
        // canonical query; passing the already-encoded ones signed "%2F" as "%252F" and S3 answered
        // SignatureDoesNotMatch for any value that needed encoding.
        rawQuery.forEach((name, values) -> b.putRawQueryParameter(decode(name),
                values.stream().map(v -> v == null ? null : decode(v)).toList()));
        for (Map.Entry<String, String> h : headers) {
            b.appendHeader(h.getKey(), h.getValue());
        }
        SignedRequest signed = signer.sign(r -> r
                .identity(credentials)
                .request(b.build())
                .putProperty(AwsV4FamilyHttpSigner.SERVICE_SIGNING_NAME, "s3")
                .putProperty(AwsV4HttpSigner.REGION_NAME, region)
                .putProperty(HttpSigner.SIGNING_CLOCK, clock)
                .putProperty(AwsV4FamilyHttpSigner.DOUBLE_URL_ENCODE, false)
                .putProperty(AwsV4FamilyHttpSigner.NORMALIZE_PATH, false)
                .putProperty(AwsV4FamilyHttpSigner.PAYLOAD_SIGNING_ENABLED, false));
        SdkHttpRequest out = signed.request();
        copy(out, headers, "Authorization");
        copy(out, headers, "X-Amz-Date");
        copy(out, headers, "X-Amz-Security-Token");
        copy(out, headers, "x-amz-content-sha256");
    }

    private static String decode(String encoded) {
        // '+' is a literal plus in SigV4-encoded text (a space is %20); URLDecoder would make it a space.
        return URLDecoder.decode(encoded.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static void copy(SdkHttpRequest from, HttpHeaders to, String name) {
        from.firstMatchingHeader(name).ifPresent(v -> to.set(name, v));
    }
}
