package dev.bitsbridge.proxy.s3;

import java.nio.charset.StandardCharsets;

/**
 * Encodes object keys for S3 request paths: every byte outside RFC 3986's unreserved set is
 * percent-encoded exactly once, and {@code /} is kept. The canonical URI that SigV4 signs for S3
 * is this same string (S3 does not double-encode), so the proxy signs exactly the bytes it sends.
 */
public final class S3Paths {

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private S3Paths() {
    }

    public static String encodeKey(String key) {
        byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder(bytes.length + 16);
        for (byte b : bytes) {
            int c = b & 0xff;
            if (isUnreserved(c) || c == '/') {
                sb.append((char) c);
            } else {
                sb.append('%').append(HEX[c >> 4]).append(HEX[c & 0xf]);
            }
        }
        return sb.toString();
    }

    /** Encodes one query-string name or value the way SigV4 expects (also {@code /} encoded). */
    public static String encodeQueryComponent(String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder(bytes.length + 16);
        for (byte b : bytes) {
            int c = b & 0xff;
            if (isUnreserved(c)) {
                sb.append((char) c);
            } else {
                sb.append('%').append(HEX[c >> 4]).append(HEX[c & 0xf]);
            }
        }
        return sb.toString();
    }

    private static boolean isUnreserved(int c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                || c == '-' || c == '.' || c == '_' || c == '~';
    }
}
