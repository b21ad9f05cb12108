package dev.bitsbridge.proxy.s3;

import dev.bitsbridge.proxy.config.BucketNames;
import dev.bitsbridge.proxy.config.SharedStateConfig;

import dev.bitsbridge.proxy.http.RequestPath;
import dev.bitsbridge.proxy.http.RequestPath.InvalidPathException;

/**
 * Maps a decoded request path to an S3 object and enforces confinement.
 *
 * <p>Bucket mode ({@code --bucket B}): {@code /<key>} is {@code s3://B/<prefix><key>}. Path mode
 * (no bucket configured): {@code /<bucket>/<key>} is {@code s3://bucket/<prefix><key>}.
 *
 * <p>Confinement: a path whose segments include {@code .} or {@code ..} once decoded (so
 * {@code %2e%2e} and {@code ..%2f} too) is refused rather than normalised, so no request can name
 * a key outside {@code --prefix}. Such keys exist in S3 but cannot be reached through the proxy;
 * that is the price of a prefix that holds.
 *
 * <p>Scale-out ({@link #hidingState}): the shared state's objects (share keys, the admin token,
 * links, one-time-link ledgers, upload sessions under {@code --state-prefix}) may sit in the served
 * bucket, or in one a path-mode request can name; they are refused like a dot segment, for
 * downloads, share links and uploads alike, so no client reads the keys or writes a session.
 * Thread-safe and immutable.
 */
public final class KeyMapper {

    private final String bucket;
    private final String prefix;
    private final String stateBucket;
    private final String statePrefix;

    public KeyMapper(String bucket, String prefix) {
        this(bucket, prefix, null, null);
    }

    private KeyMapper(String bucket, String prefix, String stateBucket, String statePrefix) {
        this.bucket = bucket == null || bucket.isEmpty() ? null : bucket;
        this.prefix = prefix == null ? "" : prefix;
        this.stateBucket = stateBucket;
        this.statePrefix = statePrefix;
    }

    /** The same mapping, refusing the shared state's keys when {@code state} is on. */
    public KeyMapper hidingState(SharedStateConfig state) {
        return state.enabled() ? new KeyMapper(bucket, prefix, state.bucket(), state.prefix()) : this;
    }

    public boolean bucketMode() {
        return bucket != null;
    }

    /** The object a raw (still percent-encoded) request path names. */
    public S3Location map(String rawPath) throws InvalidPathException {
        String path = RequestPath.decode(rawPath);
        if (!path.startsWith("/")) {
            throw new InvalidPathException("path must start with /");
        }
        String rest = path.substring(1);
        checkSegments(rest);
        if (bucket != null) {
            if (rest.isEmpty()) {
                throw new InvalidPathException("no object key in path");
            }
            return notState(new S3Location(bucket, prefix + rest));
        }
        int slash = rest.indexOf('/');
        if (slash <= 0 || slash == rest.length() - 1) {
            throw new InvalidPathException("path must be /<bucket>/<key>");
        }
        String b = rest.substring(0, slash);
        if (!BucketNames.isValid(b)) {
            throw new InvalidPathException("not a valid bucket name");
        }
        return notState(new S3Location(b, prefix + rest.substring(slash + 1)));
    }

    private S3Location notState(S3Location loc) throws InvalidPathException {
        // Bucket names compared without case: a virtual-host request reaches the same bucket either way.
        if (stateBucket != null && loc.bucket().equalsIgnoreCase(stateBucket) && loc.key().startsWith(statePrefix)) {
            throw new InvalidPathException("the proxy's shared state (--state-prefix) is not served");
        }
        return loc;
    }

    /**
     * The object key a raw path names when there is no bucket at all (vendor mode: the backend
     * knows the bucket): {@code /<key>} is {@code <prefix><key>}, with the same confinement.
     */
    public String mapKey(String rawPath) throws InvalidPathException {
        String path = RequestPath.decode(rawPath);
        if (!path.startsWith("/") || path.length() == 1) {
            throw new InvalidPathException("no object key in path");
        }
        String rest = path.substring(1);
        checkSegments(rest);
        return prefix + rest;
    }

    private static void checkSegments(String path) throws InvalidPathException {
        int start = 0;
        while (start <= path.length()) {
            int slash = path.indexOf('/', start);
            int end = slash < 0 ? path.length() : slash;
            int len = end - start;
            if ((len == 1 && path.charAt(start) == '.')
                    || (len == 2 && path.charAt(start) == '.' && path.charAt(start + 1) == '.')) {
                throw new InvalidPathException("dot segments are not allowed in paths");
            }
            if (slash < 0) {
                break;
            }
            start = slash + 1;
        }
    }
}
