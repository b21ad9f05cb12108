package dev.bitsbridge.proxy.cache;

import dev.bitsbridge.proxy.http.ObjectMetadata;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;

/**
 * One version of one object as the cache knows it: the object's name (upstream endpoint and
 * encoded path, never a query string, so a presigned URL, a vended URL and a signed request for
 * the same object meet), its metadata (size, ETag, the headers a response carries), and when S3
 * last confirmed it. Slices are keyed by the identity (name, ETag, size, slice size): a new version
 * never finds an old version's bytes.
 *
 * <p>Thread-safe: immutable except {@link #validatedAt}, which a revalidation moves forward.
 */
public final class ObjectEntry {

    private final String name;
    private final ObjectMetadata meta;
    private final int sliceSize;
    private final byte[] identity;
    private final String idHash;
    private volatile long validatedAt;

    ObjectEntry(String name, ObjectMetadata meta, int sliceSize, long validatedAt) {
        this.name = name;
        this.meta = meta;
        this.sliceSize = sliceSize;
        this.validatedAt = validatedAt;
        this.identity = SliceFile.identityBytes(sliceSize + "\n" + name + "\n" + meta.etag() + "\n" + meta.size());
        this.idHash = sha256(identity).substring(0, 40);
    }

    public ObjectMetadata meta() {
        return meta;
    }

    String name() {
        return name;
    }

    String etag() {
        return meta.etag();
    }

    long size() {
        return meta.size();
    }

    int sliceSize() {
        return sliceSize;
    }

    byte[] identity() {
        return identity;
    }

    String idHash() {
        return idHash;
    }

    long validatedAt() {
        return validatedAt;
    }

    void validated(long at) {
        validatedAt = Math.max(validatedAt, at);
    }

    /** Within the validity window: served without asking S3 (a clock set back counts as stale). */
    boolean freshAt(long now, Duration validity) {
        return now >= validatedAt && now - validatedAt < validity.toMillis();
    }

    long slices() {
        return (meta.size() + sliceSize - 1) / sliceSize;
    }

    long sliceStart(long index) {
        return index * sliceSize;
    }

    int sliceLength(long index) {
        return (int) Math.min(sliceSize, meta.size() - index * sliceSize);
    }

    String sliceKey(long index) {
        return idHash + "-" + index;
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String nameHash(String name) {
        return sha256(name.getBytes(StandardCharsets.UTF_8)).substring(0, 40);
    }
}
