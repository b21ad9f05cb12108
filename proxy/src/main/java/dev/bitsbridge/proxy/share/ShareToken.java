package dev.bitsbridge.proxy.share;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * What a share link grants, and its text form. A token is
 * {@code v1.<claims>.<mac>}: {@code claims} is the base64url (unpadded) of
 * {@code <expires>|<flags>|<id>|<path>} and {@code mac} the base64url of
 * HMAC-SHA256(secret, "bitsbridge-share-v1." + claims). The path is the decoded request path
 * without its leading {@code /} (in bucket mode, the key); {@code expires} is in Unix seconds;
 * {@code flags} holds {@code o} (one transfer only) and {@code u} (BITS upload to that key);
 * {@code id} is 16 random bytes (base64url) that name the link in the spent-state ledger.
 *
 * <p>The claims are readable by whoever holds the link (a JWT-like property): they say which
 * file and until when, nothing secret. Immutable; parsing is strict and never throws anything but
 * {@link IllegalArgumentException}.
 */
public record ShareToken(String path, long expiresEpochSecond, boolean once, boolean upload, String id) {

    static final String VERSION = "v1";
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();

    public ShareToken {
        if (path == null || path.isEmpty()) {
            throw new IllegalArgumentException("a share link needs a path");
        }
        if (id == null || id.isEmpty() || !id.chars().allMatch(ShareToken::base64UrlChar)) {
            throw new IllegalArgumentException("bad link id");
        }
    }

    /** The signed part, before base64url. */
    String claims() {
        return expiresEpochSecond + "|" + (once ? "o" : "") + (upload ? "u" : "") + "|" + id + "|" + path;
    }

    /** The encoded claims: what the MAC covers (after the version prefix). */
    String encodedClaims() {
        return B64.encodeToString(claims().getBytes(StandardCharsets.UTF_8));
    }

    /** The parts of a token's text, not yet verified. */
    record Parts(String encodedClaims, byte[] mac) {
    }

    /** Splits a token's text; {@link IllegalArgumentException} when it is not one. */
    static Parts split(String token) {
        if (token == null || token.length() > 4096) {
            throw new IllegalArgumentException("not a bitsbridge share token");
        }
        int a = token.indexOf('.');
        int b = token.lastIndexOf('.');
        if (a < 0 || a == b || !token.substring(0, a).equals(VERSION)) {
            throw new IllegalArgumentException("not a bitsbridge share token");
        }
        String claims = token.substring(a + 1, b);
        String mac = token.substring(b + 1);
        if (claims.isEmpty() || mac.isEmpty() || !claims.chars().allMatch(ShareToken::base64UrlChar)
                || !mac.chars().allMatch(ShareToken::base64UrlChar)) {
            throw new IllegalArgumentException("not a bitsbridge share token");
        }
        byte[] macBytes;
        try {
            macBytes = B64D.decode(mac);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a bitsbridge share token");
        }
        // Only the canonical spelling: the last base64 character has spare bits, and a decoder
        // ignores them, so without this check several texts would be the same valid token.
        if (!B64.encodeToString(macBytes).equals(mac)) {
            throw new IllegalArgumentException("not a bitsbridge share token");
        }
        return new Parts(claims, macBytes);
    }

    /** Decodes claims whose MAC has been checked. */
    static ShareToken fromClaims(String encodedClaims) {
        String s = new String(B64D.decode(encodedClaims), StandardCharsets.UTF_8);
        String[] f = s.split("\\|", 4);
        if (f.length != 4) {
            throw new IllegalArgumentException("malformed share token claims");
        }
        long exp;
        try {
            exp = Long.parseLong(f[0]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("malformed share token expiry");
        }
        String flags = f[1];
        if (!flags.chars().allMatch(c -> c == 'o' || c == 'u')) {
            throw new IllegalArgumentException("unknown share token flags");
        }
        return new ShareToken(f[3], exp, flags.indexOf('o') >= 0, flags.indexOf('u') >= 0, f[2]);
    }

    static String encode(String encodedClaims, byte[] mac) {
        return VERSION + "." + encodedClaims + "." + B64.encodeToString(mac);
    }

    private static boolean base64UrlChar(int c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    }
}
