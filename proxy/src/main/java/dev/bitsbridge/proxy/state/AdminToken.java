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
 * <p>Scale-out ({@link #shared}): the token is the state bucket's {@code share/admin-token}, created
 * by the first instance ({@link SharedState#create}, so racing instances agree on one) and read
 * again by every instance every {@code --state-validity} ({@link #refresh}); each instance copies
 * it to {@code <state-dir>/admin-token} for the operator's tools on that machine. Rotate by
 * deleting the object: the next refresh anywhere creates a new one, and every instance has it
 * within {@code --state-validity}.
 *
 * <p>Thread-safe. On one machine the token never changes; rotate by deleting the file and
 * restarting the proxy.
 */
public final class AdminToken {

    public static final String FILE = "admin-token";
    private static final SecureRandom RANDOM = new SecureRandom();

    /** The name of the shared token in the state bucket. */
    public static final String SHARED_NAME = "share/admin-token";

    private volatile byte[] token;
    private final SharedState shared;
    private final Path copy;

    private AdminToken(String token) {
        this(token, null, null);
    }

    private AdminToken(String token, SharedState shared, Path copy) {
        this.token = token.getBytes(StandardCharsets.US_ASCII);
        this.shared = shared;
        this.copy = copy;
    }

    /**
     * The cluster's token (blocking: S3), created if there is none; copied to
     * {@code <stateDir>/admin-token} when {@code stateDir} is not null.
     */
    public static AdminToken shared(SharedState state, Path stateDir) throws IOException {
        Path copy = stateDir == null ? null : StateFiles.ensureDir(stateDir).resolve(FILE);
        AdminToken t = new AdminToken(readOrCreate(state), state, copy);
        t.writeCopy();
        return t;
    }

    /**
     * Reads the shared token again (blocking: call from an I/O thread every {@code --state-validity}).
     * A failed read keeps the token in hand: S3 briefly unreachable is no reason to lock the
     * operator out. No-op on one machine.
     */
    public void refresh() {
        if (shared == null) {
            return;
        }
        try {
            byte[] next = readOrCreate(shared).getBytes(StandardCharsets.US_ASCII);
            if (!MessageDigest.isEqual(next, token)) {
                token = next;
                writeCopy();
            }
        } catch (IOException | RuntimeException e) {
            // keep the token we have
        }
    }

    private void writeCopy() {
        if (copy != null) {
            try {
                StateFiles.write(copy, (value() + "\n").getBytes(StandardCharsets.US_ASCII));
            } catch (IOException e) {
                // the copy is a convenience; the shared object is the token
            }
        }
    }

    private static String readOrCreate(SharedState state) throws IOException {
        for (int attempt = 0; attempt < 3; attempt++) {
            SharedState.Versioned v = state.get(SHARED_NAME);
            if (v == null) {
                String fresh = newToken();
                if (state.create(SHARED_NAME, (fresh + "\n").getBytes(StandardCharsets.US_ASCII)) != null) {
                    return fresh;
                }
                continue; // another instance created it first: read theirs
            }
            String t = new String(v.body(), StandardCharsets.US_ASCII).trim();
            if (t.length() < 16) {
                throw new IOException("the shared admin token (" + SHARED_NAME + " under --state-prefix) is too short;"
                        + " delete it to create a new one");
            }
            return t;
        }
        throw new IOException("the shared admin token was created and deleted while being read; try again");
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
