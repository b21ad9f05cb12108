package dev.bitsbridge.proxy.share;

import dev.bitsbridge.proxy.state.SharedState;
import dev.bitsbridge.proxy.state.StateFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The share-link signing keys, in {@code <state-dir>/share-secret}: one base64url key of 32 random
 * bytes per line. The first line signs new links; every line verifies, so a rotation can keep the
 * previous key valid for a while (see docs/sharing.md). Created on first use by whichever of
 * {@code serve} and {@code share} comes first, readable by its owner only; two processes creating
 * it at once agree on one file (it is published with a hard link, which fails if it exists).
 *
 * <p>Thread-safe. A running server notices a rotated file: {@link #keys} re-reads it when its
 * modification time changed, looked at most once every two seconds.
 *
 * <p>Scale-out ({@link #shared}): the keys are the state bucket's {@code share/secret} (the same
 * lines), created by the first instance or {@code bitsbridge share} ({@link SharedState#create}: racing
 * creators agree on one), rotated with a compare-and-swap ({@link #rotate(SharedState, boolean)}),
 * and read again by every instance every {@code --state-validity} ({@link #refresh}, from an I/O
 * thread; {@link #keys} never does I/O then), so a link minted anywhere verifies everywhere and a
 * rotation reaches every instance within {@code --state-validity}.
 */
public final class ShareSecret {

    public static final String FILE = "share-secret";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final long RECHECK_NANOS = 2_000_000_000L;

    /** The name of the shared keys in the state bucket. */
    public static final String SHARED_NAME = "share/secret";

    private final Path file;
    private final SharedState shared;
    private volatile List<byte[]> keys;
    private volatile FileTime loadedMtime;
    private volatile long checkedNanos;

    private ShareSecret(Path file, List<byte[]> keys, FileTime mtime) {
        this(file, null, keys, mtime);
    }

    private ShareSecret(Path file, SharedState shared, List<byte[]> keys, FileTime mtime) {
        this.file = file;
        this.shared = shared;
        this.keys = keys;
        this.loadedMtime = mtime;
        this.checkedNanos = System.nanoTime();
    }

    /** The cluster's keys (blocking: S3), created with a fresh key if there are none. */
    public static ShareSecret shared(SharedState state) throws IOException {
        return new ShareSecret(null, state, readOrCreate(state), null);
    }

    /**
     * Reads the shared keys again (blocking: call from an I/O thread every {@code --state-validity}).
     * A failed read keeps the keys in hand, as a half-written file does on one machine.
     */
    public void refresh() {
        if (shared == null) {
            return;
        }
        try {
            keys = readOrCreate(shared);
        } catch (IOException | RuntimeException e) {
            // keep the keys we have
        }
    }

    /**
     * {@link #rotate(Path, boolean)} for a cluster: replaces {@code share/secret} with a
     * compare-and-swap (a rotation racing another keeps one of them, never a mix).
     */
    public static void rotate(SharedState state, boolean keepPrevious) throws IOException {
        for (int attempt = 0; attempt < 5; attempt++) {
            SharedState.Versioned v = state.get(SHARED_NAME);
            List<byte[]> next = new ArrayList<>();
            next.add(newKey());
            if (keepPrevious && v != null) {
                next.add(parse(v.body(), SHARED_NAME).get(0));
            }
            String written = v == null ? state.create(SHARED_NAME, format(next))
                    : state.replace(SHARED_NAME, format(next), v.etag());
            if (written != null) {
                return;
            }
        }
        throw new IOException("the shared share-link secret changed five times while being rotated; try again");
    }

    private static List<byte[]> readOrCreate(SharedState state) throws IOException {
        for (int attempt = 0; attempt < 3; attempt++) {
            SharedState.Versioned v = state.get(SHARED_NAME);
            if (v != null) {
                return parse(v.body(), SHARED_NAME);
            }
            List<byte[]> fresh = List.of(newKey());
            if (state.create(SHARED_NAME, format(fresh)) != null) {
                return fresh;
            }
            // another instance created it first: read theirs
        }
        throw new IOException("the shared share-link secret was created and deleted while being read; try again");
    }

    /** Loads the keys in {@code stateDir}, creating the file with a fresh key if there is none. */
    public static ShareSecret open(Path stateDir) throws IOException {
        Path f = StateFiles.ensureDir(stateDir).resolve(FILE);
        if (!Files.exists(f)) {
            create(f, List.of(newKey()));
        }
        return new ShareSecret(f, read(f), Files.getLastModifiedTime(f));
    }

    /**
     * Replaces the signing key with a new one. With {@code keepPrevious} the old signing key still
     * verifies (links already handed out keep working until they expire); without, every link
     * signed before stops working at once.
     */
    public static void rotate(Path stateDir, boolean keepPrevious) throws IOException {
        Path f = StateFiles.ensureDir(stateDir).resolve(FILE);
        List<byte[]> next = new ArrayList<>();
        next.add(newKey());
        if (keepPrevious && Files.exists(f)) {
            next.add(read(f).get(0));
        }
        StateFiles.write(f, format(next));
    }

    /** The key new links are signed with. */
    byte[] signingKey() {
        return keys().get(0);
    }

    /** All keys that verify, the signing key first. */
    List<byte[]> keys() {
        long now = System.nanoTime();
        if (file != null && now - checkedNanos > RECHECK_NANOS) {
            checkedNanos = now;
            try {
                FileTime m = Files.getLastModifiedTime(file);
                if (!m.equals(loadedMtime)) {
                    keys = read(file);
                    loadedMtime = m;
                }
            } catch (IOException | IllegalStateException e) {
                // Keep the keys we have: a half-replaced or briefly missing file is not a reason to
                // refuse every link.
            }
        }
        return keys;
    }

    static byte[] mac(byte[] key, String encodedClaims) {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(new SecretKeySpec(key, "HmacSHA256"));
            m.update((ShareToken.VERSION + ".").getBytes(StandardCharsets.US_ASCII));
            return m.doFinal(encodedClaims.getBytes(StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    /** Constant-time: a timing difference must not tell how much of a forged MAC was right. */
    static boolean sameMac(byte[] a, byte[] b) {
        return MessageDigest.isEqual(a, b);
    }

    private static byte[] newKey() {
        byte[] k = new byte[32];
        RANDOM.nextBytes(k);
        return k;
    }

    private static byte[] format(List<byte[]> keys) {
        StringBuilder sb = new StringBuilder();
        for (byte[] k : keys) {
            sb.append(Base64.getUrlEncoder().withoutPadding().encodeToString(k)).append('\n');
        }
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private static List<byte[]> read(Path f) throws IOException {
        return parse(Files.readAllBytes(f), f.toString());
    }

    private static List<byte[]> parse(byte[] content, Object f) throws IOException {
        List<byte[]> out = new ArrayList<>();
        for (String line : new String(content, StandardCharsets.US_ASCII).split("\n")) {
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) {
                continue;
            }
            byte[] k;
            try {
                k = Base64.getUrlDecoder().decode(t);
            } catch (IllegalArgumentException e) {
                throw new IOException(f + " holds a line that is not a base64url key");
            }
            if (k.length < 16) {
                throw new IOException(f + " holds a key shorter than 16 bytes");
            }
            out.add(k);
        }
        if (out.isEmpty()) {
            throw new IOException(f + " holds no key");
        }
        return out;
    }

    /** Publishes the file only if none exists, so concurrent first uses end with one key. */
    private static void create(Path f, List<byte[]> keys) throws IOException {
        StateFiles.createIfAbsent(f, format(keys)); // another process may win: its key is used
    }
}
