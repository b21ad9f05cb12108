package dev.bitsbridge.proxy.share;

import dev.bitsbridge.proxy.http.ByteRange;
import dev.bitsbridge.proxy.http.RangeHeader;
import dev.bitsbridge.proxy.http.RequestPath;
import dev.bitsbridge.proxy.http.RequestPath.InvalidPathException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import java.util.concurrent.CompletableFuture;

/**
 * Decides, for each object request, what share links have to say: nothing (no token and none
 * required), a refusal (status and message), or a grant naming the token (whose one-time
 * deliveries the caller then reports to the {@link SpentLedger}). A token present is always
 * checked, required or not: a one-time or short-lived link must hold whatever else is configured.
 *
 * <p>The token comes from the query ({@code ?token=}) or from {@code Authorization: Bearer}
 * (what BITS sends with {@code SetCustomHeaders}); it is never forwarded to S3 (requests to S3 are
 * built afresh) and never logged (the access log writes paths without their query).
 *
 * <p>Thread-safe; {@link #decide} does no I/O unless bucket markers are on (then the decision is
 * pending on the ledger's I/O executor).
 */
public final class ShareGate {

    /** What to do with a request. */
    public record Decision(ShareLinks.Refusal refusal, ShareToken token, CompletableFuture<Boolean> spentInBucket) {
        static final Decision OPEN = new Decision(null, null, null);

        public boolean refused() {
            return refusal != null;
        }
    }

    private static final String BEARER = "bearer ";

    private final ShareLinks links;
    private final SpentLedger ledger;
    private final SharedOnceLedger shared;
    private final boolean requireToken;

    /** @param links null when the proxy has no state folder (no share links at all) */
    public ShareGate(ShareLinks links, SpentLedger ledger, boolean requireToken) {
        this(links, ledger, null, requireToken);
    }

    /**
     * A cluster's gate (scale-out): one-time links are claimed and counted in the shared ledger
     * ({@code shared}) instead of {@code ledger}, which is null then.
     */
    public ShareGate(ShareLinks links, SpentLedger ledger, SharedOnceLedger shared, boolean requireToken) {
        this.links = links;
        this.ledger = ledger;
        this.shared = shared;
        this.requireToken = requireToken;
    }

    /** The cluster's one-time-link ledger, or null on one machine. */
    public SharedOnceLedger sharedLedger() {
        return shared;
    }

    public static ShareGate open() {
        return new ShareGate(null, null, false);
    }

    public boolean requireToken() {
        return requireToken;
    }

    public SpentLedger ledger() {
        return ledger;
    }

    /**
     * @param rawPath the request path, still percent-encoded (decoded only when a token is there)
     * @param upload a BITS upload packet rather than a download
     */
    public Decision decide(HttpRequest req, String rawPath, boolean upload) throws InvalidPathException {
        String token = tokenOf(req);
        if (token == null) {
            return requireToken ? new Decision(ShareLinks.Refusal.MISSING, null, null) : Decision.OPEN;
        }
        if (links == null) {
            return Decision.OPEN;
        }
        String path = RequestPath.decode(rawPath);
        ShareLinks.Check c = links.check(token, path.startsWith("/") ? path.substring(1) : path, upload);
        if (!c.admitted()) {
            return new Decision(c.refusal(), c.token(), null);
        }
        ShareToken t = c.token();
        if (t.once() && shared != null) {
            // Spent where this instance saw it; else the shared ledger decides when the transfer claims it.
            return new Decision(shared.spentHere(t) ? ShareLinks.Refusal.SPENT : null, t, null);
        }
        if (t.once()) {
            if (ledger.spentHere(t)) {
                return new Decision(ShareLinks.Refusal.SPENT, t, null);
            }
            if (ledger.checksMarkers()) {
                return new Decision(null, t, ledger.spentInBucket(t));
            }
        }
        return new Decision(null, t, null);
    }

    /**
     * The bytes a download request asks of an object of {@code size} bytes, as a one-time link
     * answers it: one satisfiable range is that range; none, several (answered whole) or an
     * invalid header is the whole object; an unsatisfiable range is nothing (416). 0 when the size
     * is not known yet (no delivery under the link so far).
     */
    public static long wanted(HttpRequest req, long size) {
        if (size < 0) {
            return 0;
        }
        String h = req.headers().get(HttpHeaderNames.RANGE);
        RangeHeader range = h == null ? RangeHeader.NONE : RangeHeader.parse(h, Integer.MAX_VALUE);
        if (!range.isPresent() || range.isMultiple()) {
            return size;
        }
        ByteRange r = range.specs().get(0).resolve(size);
        return r == null ? 0 : r.length();
    }

    /** The token of a request: {@code token} in the query, else an {@code Authorization: Bearer}. */
    public static String tokenOf(HttpRequest req) {
        String q = RequestPath.rawQuery(req.uri());
        if (!q.isEmpty()) {
            for (String pair : q.split("&")) {
                if (pair.startsWith("token=")) {
                    String v = pair.substring("token=".length());
                    // Tokens are base64url and dots: nothing to decode; %-escapes make them invalid.
                    return v.isEmpty() ? null : v;
                }
            }
        }
        String auth = req.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (auth != null && auth.length() > BEARER.length() && auth.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return auth.substring(BEARER.length()).trim();
        }
        return null;
    }
}
