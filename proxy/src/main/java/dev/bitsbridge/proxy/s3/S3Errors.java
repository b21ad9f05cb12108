package dev.bitsbridge.proxy.s3;

import dev.bitsbridge.proxy.error.BridgeError;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads S3's XML error bodies and maps S3 answers to what the client is told. A plain function of
 * status, headers and body: unit-testable without a server.
 */
public final class S3Errors {

    private static final Pattern CODE = Pattern.compile("<Code>([^<]{1,128})</Code>");
    private static final Pattern MESSAGE = Pattern.compile("<Message>([^<]{1,1024})</Message>");
    private static final Pattern REGION = Pattern.compile("<Region>([a-z0-9-]{1,64})</Region>");

    private S3Errors() {
    }

    /** An S3 error: its code (may be null, e.g. for HEAD) and message (may be null). */
    public record S3Error(int status, String code, String message) {
    }

    public static S3Error parse(int status, String body) {
        String code = null;
        String message = null;
        if (body != null && !body.isEmpty()) {
            Matcher m = CODE.matcher(body);
            if (m.find()) {
                code = unescape(m.group(1));
            }
            m = MESSAGE.matcher(body);
            if (m.find()) {
                message = unescape(m.group(1));
            }
        }
        return new S3Error(status, code, message);
    }

    public static String region(String body, String regionHeader) {
        if (regionHeader != null && !regionHeader.isEmpty()) {
            return regionHeader;
        }
        if (body != null) {
            Matcher m = REGION.matcher(body);
            if (m.find()) {
                return m.group(1);
            }
        }
        return null;
    }

    /** Whether a retry may succeed: S3 throttling and internal errors. */
    public static boolean retryable(int status) {
        return status == 500 || status == 502 || status == 503 || status == 504;
    }

    /** The client error for an S3 error response (anything but 2xx, 304, 412, 416). */
    public static BridgeError map(S3Error e) {
        int s = e.status();
        if (s == 404) {
            return "NoSuchBucket".equals(e.code()) ? BridgeError.NO_SUCH_BUCKET : BridgeError.NO_SUCH_KEY;
        }
        if (s == 403 || s == 401) {
            return BridgeError.ACCESS_DENIED;
        }
        if (retryable(s)) {
            return BridgeError.UPSTREAM_UNAVAILABLE;
        }
        return BridgeError.UPSTREAM_ERROR;
    }

    /** The one-line message for the client: S3's own code and message where it gave them. */
    public static String describe(S3Error e) {
        StringBuilder sb = new StringBuilder();
        if (e.code() != null) {
            sb.append(e.code());
        }
        if (e.message() != null) {
            if (sb.length() > 0) {
                sb.append(": ");
            }
            sb.append(e.message());
        }
        if (sb.length() == 0) {
            return null;
        }
        return sb.toString();
    }

    private static String unescape(String s) {
        return s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'")
                .replace("&amp;", "&");
    }
}
