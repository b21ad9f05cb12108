package dev.bitsbridge.proxy.http;

import io.netty.handler.codec.http.HttpHeaders;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Which of an upstream answer's headers describe the stored object and are passed to the client
 * as they are, the way a presigned direct download from S3 passes them: the representation
 * headers set at upload ({@code Content-Disposition}, {@code Content-Encoding},
 * {@code Content-Language}, {@code Cache-Control}, {@code Expires}) and the user metadata
 * ({@code x-amz-meta-*}, names lower-cased as S3 sends them). Everything else the upstream says
 * (its request ids, server name, checksums, framing) stays behind: the proxy builds its own
 * framing and validators.
 *
 * <p>{@code Content-Encoding} is passed with the stored bytes and their stored length, exactly
 * like S3: an object stored gzip-encoded reaches a browser as S3 would give it (the browser
 * inflates it), and a BITS job gets the stored bytes. The proxy itself never compresses.
 *
 * <p>Pure, thread-safe; the result is unmodifiable and keeps the upstream's order.
 */
public final class StoredHeaders {

    static final Set<String> REPRESENTATION = Set.of("content-disposition", "content-encoding", "content-language",
            "cache-control", "expires");
    static final String USER_METADATA = "x-amz-meta-";
    /** S3 allows 2 KiB of user metadata per object; anything far beyond that is not S3 metadata. */
    static final int MAX_TOTAL = 8 * 1024;

    private StoredHeaders() {
    }

    public static Map<String, String> from(HttpHeaders upstream) {
        Map<String, String> out = null;
        int total = 0;
        for (Map.Entry<String, String> e : upstream) {
            String name = e.getKey().toLowerCase(Locale.ROOT);
            if (!REPRESENTATION.contains(name) && !(name.startsWith(USER_METADATA) && name.length() > USER_METADATA.length())) {
                continue;
            }
            String value = e.getValue();
            total += name.length() + value.length();
            if (total > MAX_TOTAL || !headerSafe(value)) {
                continue;
            }
            if (out == null) {
                out = new LinkedHashMap<>();
            }
            out.merge(name, value, (a, b) -> a + ", " + b);
        }
        return out == null ? Map.of() : Collections.unmodifiableMap(out);
    }

    /** Visible ASCII, space and tab only: nothing that could end a header line or smuggle one. */
    static boolean headerSafe(String v) {
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if ((c < 0x20 && c != '\t') || c >= 0x7f) {
                return false;
            }
        }
        return true;
    }

    /** Those of {@code stored} a 304 repeats (RFC 9110 §15.4.5: Cache-Control and Expires). */
    public static void forNotModified(Map<String, String> stored, HttpHeaders to) {
        copy(stored, to, "cache-control");
        copy(stored, to, "expires");
    }

    private static void copy(Map<String, String> from, HttpHeaders to, String name) {
        String v = from.get(name);
        if (v != null) {
            to.set(name, v);
        }
    }
}
