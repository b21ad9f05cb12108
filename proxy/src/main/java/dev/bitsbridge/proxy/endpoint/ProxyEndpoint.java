package dev.bitsbridge.proxy.endpoint;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpRequest;

/**
 * One of the proxy's own endpoints under the reserved {@code /_bitsbridge/} prefix (health,
 * links, shares, status...). Called on the client's event loop with the whole request body
 * (bounded; the caller releases it after {@link #handle} returns). Implementations must be
 * thread-safe and must not block: file or network work goes to an executor, and the answer is
 * written with {@code out} from the event loop ({@code out.ctx().executor()}).
 */
public interface ProxyEndpoint {

    /** Whether this endpoint serves {@code rawPath} (still percent-encoded, no query). */
    boolean matches(String rawPath);

    /** Serves the request; returns what to cancel if the client leaves early, or null. */
    Transfer handle(HttpRequest request, String rawPath, ByteBuf body, ClientResponse out);
}
