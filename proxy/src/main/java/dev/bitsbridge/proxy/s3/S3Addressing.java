package dev.bitsbridge.proxy.s3;

import dev.bitsbridge.proxy.config.BucketNames;

import dev.bitsbridge.proxy.upstream.UpstreamEndpoint;

import java.net.URI;
import java.util.Locale;

/**
 * Decides the host and path of S3 requests: virtual-hosted style by default, path style when
 * asked ({@code --path-style}), when the endpoint is an IP address or {@code localhost}, or when
 * the bucket name cannot be a TLS host label (dots). Handles Transfer Acceleration, dual-stack
 * and the China partition. Immutable and thread-safe.
 */
public final class S3Addressing {

    private final String region;
    private final URI endpoint;
    private final boolean pathStyle;
    private final boolean accelerate;
    private final boolean dualstack;

    public S3Addressing(String region, URI endpoint, boolean pathStyle, boolean accelerate, boolean dualstack) {
        this.region = region;
        this.endpoint = endpoint;
        this.pathStyle = pathStyle;
        this.accelerate = accelerate;
        this.dualstack = dualstack;
        if (endpoint != null) {
            String s = endpoint.getScheme() == null ? "" : endpoint.getScheme().toLowerCase(Locale.ROOT);
            if (!s.equals("http") && !s.equals("https") || endpoint.getHost() == null) {
                throw new IllegalArgumentException("endpoint must be an http:// or https:// URL with a host: " + endpoint);
            }
        }
    }

    /** The region requests are signed for. */
    public String region() {
        return region;
    }

    public S3Target target(S3Location location) {
        return target(location.bucket(), S3Paths.encodeKey(location.key()));
    }

    /** A target for a bucket-level request (no key), e.g. for a readiness check. */
    public S3Target bucketTarget(String bucket) {
        return target(bucket, "");
    }

    private S3Target target(String bucket, String encodedKey) {
        if (endpoint != null) {
            boolean secure = endpoint.getScheme().equalsIgnoreCase("https");
            int port = endpoint.getPort() > 0 ? endpoint.getPort() : (secure ? 443 : 80);
            String host = endpoint.getHost();
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            String base = endpoint.getRawPath() == null ? "" : stripTrailingSlash(endpoint.getRawPath());
            if (usePathStyle(bucket, host, secure)) {
                return new S3Target(new UpstreamEndpoint(secure, host, port), base + "/" + bucket + "/" + encodedKey);
            }
            return new S3Target(new UpstreamEndpoint(secure, bucket + "." + host, port), base + "/" + encodedKey);
        }
        String domain = region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
        if (accelerate) {
            String host = bucket + (dualstack ? ".s3-accelerate.dualstack." : ".s3-accelerate.") + domain;
            return new S3Target(new UpstreamEndpoint(true, host, 443), "/" + encodedKey);
        }
        String service = dualstack ? "s3.dualstack." + region + "." + domain : "s3." + region + "." + domain;
        if (usePathStyle(bucket, service, true)) {
            return new S3Target(new UpstreamEndpoint(true, service, 443), "/" + bucket + "/" + encodedKey);
        }
        return new S3Target(new UpstreamEndpoint(true, bucket + "." + service, 443), "/" + encodedKey);
    }

    /**
     * Whether requests for {@code bucket} go path style: the same rule {@link #target} applies, for
     * clients that take it as one flag (the AWS SDK's {@code forcePathStyle}). A null bucket (path
     * mode: any bucket) answers for the endpoint alone.
     */
    public boolean pathStyle(String bucket) {
        if (endpoint != null) {
            String host = endpoint.getHost();
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            boolean secure = endpoint.getScheme().equalsIgnoreCase("https");
            return bucket == null ? pathStyle || isIpOrLocalhost(host) : usePathStyle(bucket, host, secure);
        }
        if (accelerate) {
            return false;
        }
        return bucket == null ? pathStyle : usePathStyle(bucket, "s3." + region + ".amazonaws.com", true);
    }

    private boolean usePathStyle(String bucket, String host, boolean secure) {
        if (pathStyle || isIpOrLocalhost(host)) {
            return true;
        }
        // A bucket with dots breaks TLS hostname verification as a virtual host (the SDKs fall back too).
        return secure ? !BucketNames.isDnsCompatible(bucket) : !BucketNames.isValid(bucket) || bucket.indexOf('_') >= 0;
    }

    static boolean isIpOrLocalhost(String host) {
        if (host.equalsIgnoreCase("localhost") || host.indexOf(':') >= 0) {
            return true;
        }
        return host.chars().allMatch(c -> (c >= '0' && c <= '9') || c == '.');
    }

    private static String stripTrailingSlash(String p) {
        return p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }

    /** Whether Transfer Acceleration can serve this bucket (its name must have no dots). */
    public static boolean accelerateCompatible(String bucket) {
        return BucketNames.isDnsCompatible(bucket);
    }
}
