package dev.bitsbridge.proxy.share;

import dev.bitsbridge.proxy.error.BridgeError;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;

/**
 * Mints share-link tokens and decides whether one admits a request. Plain logic over a
 * {@link ShareSecret} and a clock; no I/O except the secret's occasional re-read. Thread-safe.
 */
public final class ShareLinks {

    /** The longest a link may live: a year, so a forgotten link does not stay valid for ever. */
    public static final Duration MAX_LIFETIME = Duration.ofDays(366);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Why a token does not admit a request; each has the status and message a client gets. */
    public enum Refusal {
        MISSING(BridgeError.TOKEN_REQUIRED,
                "this proxy needs a share-link token: add ?token=... or Authorization: Bearer <token>"),
        MALFORMED(BridgeError.TOKEN_REFUSED, "the share-link token is not valid"),
        BAD_SIGNATURE(BridgeError.TOKEN_REFUSED,
                "the share-link token is not valid (altered, or signed with another secret)"),
        OTHER_PATH(BridgeError.TOKEN_REFUSED, "this share link is for another file"),
        WRONG_USE(BridgeError.TOKEN_REFUSED, "this share link does not allow that request"),
        EXPIRED(BridgeError.LINK_GONE, "this share link has expired"),
        SPENT(BridgeError.LINK_GONE, "this one-time share link has been used: every byte was delivered,"
                + " or its budget of " + SpentLedger.BUDGET_TIMES + " times the file's size"),
        OVER_BUDGET(BridgeError.LINK_GONE, "this one-time share link has been used: it delivers at most "
                + SpentLedger.BUDGET_TIMES + " times its file's size in all, repeats included");

        private final BridgeError error;
        private final String message;

        Refusal(BridgeError error, String message) {
            this.error = error;
            this.message = message;
        }

        /** The proxy's error this refusal is (its status: 401, 403 or 410). */
        public BridgeError error() {
            return error;
        }

        public int status() {
            return error.status().code();
        }

        public String message() {
            return message;
        }
    }

    /** The outcome of a check: the token (when its MAC held) and the refusal, if any. */
    public record Check(ShareToken token, Refusal refusal) {
        public boolean admitted() {
            return refusal == null;
        }
    }

    private final ShareSecret secret;
    private final Clock clock;

    public ShareLinks(ShareSecret secret, Clock clock) {
        this.secret = secret;
        this.clock = clock;
    }

    /** A new link's token for {@code path} (decoded, no leading slash). */
    public ShareToken newToken(String path, Duration lifetime, boolean once, boolean upload) {
        if (lifetime.isNegative() || lifetime.isZero() || lifetime.compareTo(MAX_LIFETIME) > 0) {
            throw new IllegalArgumentException("a share link lives between 1 second and 366 days");
        }
        if (path.startsWith("/")) {
            path = path.substring(1);
        }
        byte[] id = new byte[16];
        RANDOM.nextBytes(id);
        long exp = clock.instant().plus(lifetime).getEpochSecond();
        return new ShareToken(path, exp, once, upload, Base64.getUrlEncoder().withoutPadding().encodeToString(id));
    }

    /** The token's text: what goes after {@code ?token=} or {@code Bearer}. */
    public String sign(ShareToken t) {
        String claims = t.encodedClaims();
        return ShareToken.encode(claims, ShareSecret.mac(secret.signingKey(), claims));
    }

    /**
     * Whether {@code tokenText} admits a request for {@code path} (decoded, no leading slash).
     * {@code upload} is a BITS upload; links are for downloads or for uploads, never both. The
     * spent state of one-time links is not known here (see {@link SpentLedger}).
     */
    public Check check(String tokenText, String path, boolean upload) {
        if (tokenText == null || tokenText.isEmpty()) {
            return new Check(null, Refusal.MISSING);
        }
        ShareToken.Parts parts;
        try {
            parts = ShareToken.split(tokenText);
        } catch (IllegalArgumentException e) {
            return new Check(null, Refusal.MALFORMED);
        }
        boolean macOk = false;
        for (byte[] key : secret.keys()) {
            if (ShareSecret.sameMac(ShareSecret.mac(key, parts.encodedClaims()), parts.mac())) {
                macOk = true;
                break;
            }
        }
        if (!macOk) {
            return new Check(null, Refusal.BAD_SIGNATURE);
        }
        ShareToken t;
        try {
            t = ShareToken.fromClaims(parts.encodedClaims());
        } catch (IllegalArgumentException e) {
            return new Check(null, Refusal.MALFORMED);
        }
        if (!t.path().equals(path)) {
            return new Check(t, Refusal.OTHER_PATH);
        }
        if (t.upload() != upload) {
            return new Check(t, Refusal.WRONG_USE);
        }
        if (clock.instant().getEpochSecond() >= t.expiresEpochSecond()) {
            return new Check(t, Refusal.EXPIRED);
        }
        return new Check(t, null);
    }
}
