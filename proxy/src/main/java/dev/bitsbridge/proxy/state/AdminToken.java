package dev.bitsbridge.proxy.state;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The admin token: the credential for the proxy's own mutating and revealing endpoints
 * ({@code /_bitsbridge/links}, {@code shares}, {@code status.json}, {@code metrics}), presented as
 * {@code Authorization: Bearer <token>}. It lives in {@code <state-dir>/admin-token} (32 random
 * bytes, base64url, one line), created on first use and readable by its owner only, like
 * {@code share-secret}: whoever can read the state folder administers the proxy, whoever cannot
 * does not, wherever the request comes from. The peer address is deliberately not part of the
 * decision: a TLS terminator or TCP forwarder on the same host makes every remote client look
 * local (issue #15, finding 1).
 *
 * <p>Immutable and thread-safe. Rotate by deleting the file and restarting the proxy.
 */
public final class AdminToken {

    public static final String FILE = "admin-token";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] token;

    private AdminToken(String token) {
        this.token = token.getBytes(StandardCharsets.US_ASCII);
    }

    /** Reads {@code <stateDir>/admin-token}, creating it with a fresh token if there is none. */
    public static AdminToken open(Path stateDir) throws IOException {
        Path f = StateFiles.ensureDir(stateDir).resolve(FILE);
        if (!Files.exists(f)) {
            StateFiles.createIfAbsent(f, (newToken() + "\n").getBytes(StandardCharsets.US_ASCII));
        }
        String t = Files.readString(f, StandardCharsets.US_ASCII).trim();
        if (t.length() < 16) {
            throw new IOException("the admin token in " + f + " is too short; delete the file to create a new one");
        }
        return new AdminToken(t);
    }

    /** A token kept in memory only (a proxy without a state folder; tests and embedding). */
    public static AdminToken ephemeral() {
        return new AdminToken(newToken());
    }

    /** Whether {@code presented} is the token; compared in constant time. */
    public boolean matches(String presented) {
        return presented != null
                && MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.US_ASCII));
    }

    /** The token itself, for the embedding program (never logged). */
    public String value() {
        return new String(token, StandardCharsets.US_ASCII);
    }

    @Override
    public String toString() {
        return "AdminToken[redacted]";
    }

    private static String newToken() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}
