package dev.bitsbridge.proxy.s3;

import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.state.SharedState;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.TrustManagerFactory;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * {@link SharedState} as objects under {@code --state-bucket}/{@code --state-prefix}, with every
 * compare-and-swap built on the one conditional write S3 APIs agree on: {@code PUT If-None-Match: *}.
 * A logical object {@code name} is a series of generations {@code name/v000000000001},
 * {@code /v000000000002}, ...; the current value is the highest generation (a LIST, then a GET;
 * both strongly consistent on S3), its "etag" is its generation, and replacing generation {@code n}
 * is creating {@code n+1}, which exactly one writer can do. {@code PUT If-Match} would save the
 * LIST, but s3proxy checks it and writes in two steps: 8 threads incrementing a counter 80 times
 * through it lost 38 increments (docs/compatibility.md); creation stays exact everywhere.
 *
 * <p>Generation 1 is kept while the object lives: it makes {@link #create} exact (a late
 * creator's {@code v1} fails even after many replacements). Of the others, the last
 * {@link #KEPT} below the generation a replacement read are kept and older ones pruned (without
 * pruning, an upload session replaced once per fragment would make every read LIST thousands of
 * keys). A pruned generation could be created again by a writer stale by more than {@code KEPT}
 * generations, so a replacement is confirmed by a LIST after its PUT: a pruned generation is more
 * than {@code KEPT} below the highest, and a write that far below it was stale; it is deleted
 * again and reported lost (null). A fresh write is that far below only if {@code KEPT} changes,
 * each reading the one before, were made between its PUT and its LIST (a stall of seconds); it
 * would then be reported lost although its change was built on: the caller reads again and finds
 * it applied. Pruning right behind the generation read (keeping 3) lost 5 of 80 racing increments
 * and, with the check, counted 2 twice: a fast successor made a fresh write look stale
 * ({@code S3SharedStateTest}). A 412 (another instance won) or 409 (S3's
 * ConditionalRequestConflict) is reported as null; anything else is an {@link IOException} naming
 * the operation and the key, never the body.
 *
 * <p>Requests per operation: get 2 (LIST + GET), create 2 (LIST + PUT), replace 2-3 (PUT, LIST,
 * and once {@code KEPT} are kept, a DELETE), delete 1 + generations, list 1 per 1,000 keys.
 *
 * <p>Threading: thread-safe; every call blocks on S3 (the SDK's synchronous client). Owns its
 * client: {@link #close} it.
 */
public final class S3SharedState implements SharedState, AutoCloseable {

    private final S3Client s3;
    private final String bucket;
    private final String prefix;

    public S3SharedState(S3Client s3, String bucket, String prefix) {
        this.s3 = s3;
        this.bucket = bucket;
        this.prefix = prefix;
    }

    /** A client for {@code config.sharedState()}: the proxy's endpoint, region, addressing and trust. */
    public static S3SharedState create(ProxyConfig config, AwsCredentialsProvider credentials, TrustManagerFactory trust) {
        String stateBucket = config.sharedState().bucket();
        S3Client client = SdkS3Clients.create(config.toBuilder().bucket(stateBucket).build(), credentials, trust);
        return new S3SharedState(client, stateBucket, config.sharedState().prefix());
    }

    @Override
    public Versioned get(String name) throws IOException {
        for (int attempt = 0; attempt < 5; attempt++) {
            long current = latest(name);
            if (current == 0) {
                return null;
            }
            byte[] body = read(key(name, current));
            if (body != null) {
                return new Versioned(body, tag(current));
            }
            // replaced and pruned between the LIST and the GET: look again
        }
        throw new IOException("shared state: s3://" + bucket + "/" + prefix + name + " changed five times while being read");
    }

    @Override
    public String create(String name, byte[] body) throws IOException {
        for (int attempt = 0; attempt < 3; attempt++) {
            if (latest(name) != 0) {
                return null;
            }
            if (put(name, 1, body)) {
                return tag(1);
            }
            // Refused while nothing was listed: a 409 ConditionalRequestConflict (another
            // conditional write in flight) is not "exists". Look again.
        }
        return null;
    }

    @Override
    public String replace(String name, byte[] body, String etag) throws IOException {
        long read = generation(etag);
        long mine = read + 1;
        if (!put(name, mine, body)) {
            return null;
        }
        // A generation pruned earlier can be created again by a writer that read the one before
        // it long ago: the LIST tells whether this write is the highest, i.e. really won.
        List<Long> generations = generations(name);
        long highest = generations.stream().mapToLong(Long::longValue).max().orElse(0);
        if (mine < highest - KEPT) {
            try {
                remove(key(name, mine));
            } catch (IOException e) {
                // a stale generation left below the highest is never read; the next prune takes it
            }
            return null;
        }
        for (long g : generations) {
            if (g > 1 && g < read - KEPT) {
                try {
                    remove(key(name, g));
                } catch (IOException e) {
                    // garbage left for the next replacement or delete; the value is written
                }
            }
        }
        return tag(mine);
    }

    @Override
    public void delete(String name) throws IOException {
        for (String k : keys(name + GEN)) {
            remove(k);
        }
    }

    @Override
    public List<String> list(String under) throws IOException {
        java.util.LinkedHashSet<String> names = new java.util.LinkedHashSet<>();
        for (String k : keys(under)) {
            int cut = k.lastIndexOf(GEN);
            if (cut > 0 && k.length() - cut - GEN.length() == DIGITS) {
                names.add(k.substring(prefix.length(), cut));
            }
        }
        return new ArrayList<>(names);
    }

    /**
     * Whether this store can work here, in one line for the operator, or null when it can: the
     * state bucket is readable and writable under the prefix, and a {@code PUT If-None-Match: *}
     * of an existing key is refused (every compare-and-swap rests on it; s3rver 3.7.1 ignores the
     * header and overwrites). A probe object {@code probe/<random>} is written twice, read, and
     * deleted: 4 requests.
     */
    public String probe() {
        String key = prefix + "probe/" + java.util.UUID.randomUUID();
        String where = "s3://" + bucket + "/" + prefix;
        byte[] body = "bitsbridge shared-state probe\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        try {
            try {
                s3.putObject(b -> b.bucket(bucket).key(key).ifNoneMatch("*"), RequestBody.fromBytes(body));
            } catch (SdkException e) {
                return "the state bucket " + where + " cannot be written (" + why(e) + "): --state-bucket needs"
                        + " s3:PutObject, s3:GetObject, s3:ListBucket and s3:DeleteObject on the prefix";
            }
            try {
                s3.putObject(b -> b.bucket(bucket).key(key).ifNoneMatch("*"), RequestBody.fromBytes(body));
                return "the state bucket's endpoint ignores PUT If-None-Match: * (it overwrote an existing object):"
                        + " shared state needs atomic conditional writes (AWS S3, MinIO, s3proxy do; s3rver does not)";
            } catch (S3Exception e) {
                if (e.statusCode() != 412 && e.statusCode() != 409) {
                    return "the state bucket's endpoint refuses PUT If-None-Match: * (" + why(e) + "): shared state"
                            + " needs atomic conditional writes";
                }
            } catch (SdkException e) {
                return "the state bucket " + where + " cannot be written (" + why(e) + ")";
            }
            try {
                if (read(key) == null) {
                    return "the state bucket " + where + " does not return what was written to it";
                }
                remove(key);
            } catch (IOException e) {
                return "the state bucket " + where + " cannot be read or cleaned (" + why(e.getCause()) + "):"
                        + " --state-bucket needs s3:GetObject and s3:DeleteObject on the prefix";
            }
            return null;
        } finally {
            try {
                remove(key);
            } catch (IOException | RuntimeException e) {
                // best effort: a probe object left behind is harmless
            }
        }
    }

    private static String why(Throwable e) {
        return e instanceof S3Exception s && s.awsErrorDetails() != null
                ? s.statusCode() + " " + s.awsErrorDetails().errorCode()
                : e == null ? "unknown" : e.getClass().getSimpleName();
    }

    /** Generations kept below the one a replacement read (besides generation 1). */
    static final int KEPT = 32;
    private static final String GEN = "/v";
    private static final int DIGITS = 12;

    private String key(String name, long generation) {
        return prefix + name + GEN + String.format(java.util.Locale.ROOT, "%012d", generation);
    }

    private static String tag(long generation) {
        return "v" + generation;
    }

    private static long generation(String etag) {
        try {
            return Long.parseLong(etag.substring(1));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a generation of this store: " + etag, e);
        }
    }

    /** The highest generation of {@code name}, 0 when it has none. */
    private long latest(String name) throws IOException {
        return generations(name).stream().mapToLong(Long::longValue).max().orElse(0);
    }

    /** The generations of {@code name} that exist now. */
    private List<Long> generations(String name) throws IOException {
        List<Long> out = new ArrayList<>();
        for (String k : keys(name + GEN)) {
            String digits = k.substring(k.length() - Math.min(k.length(), DIGITS));
            try {
                out.add(Long.parseLong(digits));
            } catch (NumberFormatException e) {
                // not a generation
            }
        }
        return out;
    }

    private List<String> keys(String under) throws IOException {
        List<String> keys = new ArrayList<>();
        try {
            for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix + under)).contents()) {
                keys.add(o.key());
            }
        } catch (SdkException e) {
            throw failed("list", under, e);
        }
        return keys;
    }

    private byte[] read(String key) throws IOException {
        ResponseBytes<GetObjectResponse> r = unlessAbsent(key, () -> s3.getObjectAsBytes(b -> b.bucket(bucket).key(key)));
        return r == null ? null : r.asByteArray();
    }

    /** What {@code call} (a read of {@code key}) returns; null when the object does not exist. */
    private <T> T unlessAbsent(String key, java.util.function.Supplier<T> call) throws IOException {
        try {
            return call.get();
        } catch (NoSuchKeyException e) {
            return null;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return null;
            }
            throw failed("read", key, e);
        } catch (SdkException e) {
            throw failed("read", key, e);
        }
    }

    /**
     * Creates one generation; false when another writer's object holds it. Each write carries a
     * nonce of its own ({@code x-amz-meta-writer}): the SDK retries a PUT that got no answer, and
     * when the first attempt did land, the retry is refused by that very object (traced against
     * s3proxy: "SDK Attempt Count: 2"). Only the nonce tells that refusal from another writer's
     * win: two writers may write identical bytes (two replacements of the same counter value), and
     * the one that lost must not think it won, nor the one that won think it lost (it would apply
     * its change a second time).
     */
    private boolean put(String name, long generation, byte[] body) throws IOException {
        String key = key(name, generation);
        String nonce = java.util.UUID.randomUUID().toString();
        try {
            s3.putObject(b -> b.bucket(bucket).key(key).ifNoneMatch("*").contentType("application/json")
                    .metadata(java.util.Map.of(WRITER, nonce)), RequestBody.fromBytes(body));
            return true;
        } catch (S3Exception e) {
            if (e.statusCode() == 412 || e.statusCode() == 409) {
                return writtenBy(key, nonce);
            }
            throw failed("write", key, e);
        } catch (SdkException e) {
            throw failed("write", key, e);
        }
    }

    /** User metadata naming the write that created an object (a nonce per {@link #put}). */
    static final String WRITER = "writer";

    /** Whether the object at {@code key} is the one the write with {@code nonce} created (a HEAD). */
    private boolean writtenBy(String key, String nonce) throws IOException {
        HeadObjectResponse h = unlessAbsent(key, () -> s3.headObject(b -> b.bucket(bucket).key(key)));
        return h != null && nonce.equals(h.metadata().get(WRITER));
    }

    private void remove(String key) throws IOException {
        try {
            s3.deleteObject(b -> b.bucket(bucket).key(key));
        } catch (NoSuchKeyException e) {
            // absent is fine
        } catch (SdkException e) {
            throw failed("delete", key, e);
        }
    }

    private IOException failed(String what, String name, Exception e) {
        String why = e instanceof S3Exception s && s.awsErrorDetails() != null
                ? s.statusCode() + " " + s.awsErrorDetails().errorCode() : e.getClass().getSimpleName();
        String key = name.startsWith(prefix) ? name : prefix + name;
        return new IOException("shared state: could not " + what + " s3://" + bucket + "/" + key + ": " + why, e);
    }

    @Override
    public void close() {
        s3.close();
    }
}
