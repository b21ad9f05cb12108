package dev.bitsbridge.proxy.state;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * How capabilities (link ids, share-link ids, upload session ids) appear in logs: an id in a URL
 * is the credential itself, so a log line must not hold it. A short hash still lets an operator
 * correlate lines about one link ({@code link#3fa2c1d0}) and match them against an id they hold.
 * Stateless; thread-safe.
 */
public final class LogIds {

    private LogIds() {
    }

    /** {@code kind#<first 8 hex digits of SHA-256(id)>}. */
    public static String of(String kind, String id) {
        if (id == null) {
            return kind + "#-";
        }
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.UTF_8));
            return kind + "#" + HexFormat.of().formatHex(h, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
