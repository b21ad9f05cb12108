package dev.bitsbridge.proxy.server;

import dev.bitsbridge.proxy.error.BridgeError;
import dev.bitsbridge.proxy.state.AdminToken;
import io.netty.handler.codec.http.HttpMethod;
import java.util.Locale;
import java.util.Set;

/**
 * Who may call the proxy's own endpoints under {@code /_bitsbridge/}. A plain, immutable decision
 * (unit-tested in {@code AdminGateTest}); {@link ProxyRequestHandler} only applies it.
 *
 * <ul>
 *   <li>Open to anyone: the probes ({@code health}, {@code ready}) and the status page's static
 *       files (HTML, JS, CSS: nothing in them is about this proxy; the data they show comes from
 *       {@code status.json}, which needs the token).</li>
 *   <li>Capabilities: {@code /_bitsbridge/l/<id>/...} (a registered link) and
 *       {@code /_bitsbridge/uploads/<session>/...}: the unguessable id is the credential, as a
 *       share token is for an object. Under {@code --require-token} they stay loopback-only, as
 *       before.</li>
 *   <li>Everything else (links, shares, status.json, metrics): {@code Authorization: Bearer
 *       <admin token>}, whatever the peer address (a local TLS terminator or TCP forwarder makes
 *       every client look local). Missing: 401; wrong: 403. A request with a body
 *       (POST, PUT, PATCH) must also say {@code Content-Type: application/json} (415 otherwise):
 *       a browser cannot send that cross-site without a CORS preflight, which these endpoints
 *       never grant.</li>
 * </ul>
 */
final class AdminGate {

    static final String PREFIX = "/_bitsbridge/";
    private static final String BEARER = "bearer ";
    private static final Set<String> OPEN = Set.of(PREFIX + "health", PREFIX + "ready");
    private static final Set<String> PAGE = Set.of("/_bitsbridge", PREFIX, PREFIX + "status.js", PREFIX + "status.css");

    private final AdminToken token;
    private final boolean requireToken;

    AdminGate(AdminToken token, boolean requireToken) {
        this.token = token;
        this.requireToken = requireToken;
    }

    /** Whether the path is one of the proxy's own endpoints. */
    static boolean reserved(String rawPath) {
        return rawPath.startsWith(PREFIX) || rawPath.equals("/_bitsbridge");
    }

    /** Whether an endpoint path is a capability URL (the id in it is the credential). */
    static boolean capability(String rawPath) {
        return rawPath.startsWith(PREFIX + "l/") || rawPath.startsWith(PREFIX + "uploads/");
    }

    /**
     * @return null when the request may proceed, else the refusal
     * @param authorization the Authorization header, or null
     * @param contentType the Content-Type header, or null
     * @param loopback whether the TCP peer is on this machine (only ever narrows, never grants)
     */
    BridgeError decide(HttpMethod method, String rawPath, String authorization, String contentType,
            boolean loopback) {
        boolean read = method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD);
        if (OPEN.contains(rawPath) || (read && PAGE.contains(rawPath))) {
            return null;
        }
        if (capability(rawPath)) {
            return requireToken && !loopback ? BridgeError.LOOPBACK_ONLY : null;
        }
        String presented = bearer(authorization);
        if (presented == null) {
            return BridgeError.ADMIN_TOKEN_REQUIRED;
        }
        if (!token.matches(presented)) {
            return BridgeError.ADMIN_TOKEN_REFUSED;
        }
        boolean hasBody = method.equals(HttpMethod.POST) || method.equals(HttpMethod.PUT)
                || method.equals(HttpMethod.PATCH);
        if (hasBody && !json(contentType)) {
            return BridgeError.JSON_REQUIRED;
        }
        return null;
    }

    static String bearer(String authorization) {
        if (authorization == null || authorization.length() <= BEARER.length()
                || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return null;
        }
        String t = authorization.substring(BEARER.length()).trim();
        return t.isEmpty() ? null : t;
    }

    static boolean json(String contentType) {
        if (contentType == null) {
            return false;
        }
        String t = contentType.toLowerCase(Locale.ROOT);
        int semi = t.indexOf(';');
        return (semi < 0 ? t : t.substring(0, semi)).trim().equals("application/json");
    }
}
