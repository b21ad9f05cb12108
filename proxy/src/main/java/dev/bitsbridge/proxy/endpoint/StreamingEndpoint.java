package dev.bitsbridge.proxy.endpoint;

import io.netty.handler.codec.http.HttpRequest;

/** Serves requests whose body is streamed to a {@link RequestBodySink} (BITS_POST uploads). */
public interface StreamingEndpoint {

    /**
     * Starts serving {@code request}. Returns the sink for its body, or null if the body is not
     * needed (the answer does not depend on it; it is then read and dropped).
     */
    RequestBodySink start(HttpRequest request, String rawPath, ClientResponse out);

    /**
     * As {@link #start(HttpRequest, String, ClientResponse)}, for a request admitted with the share
     * link whose id is {@code shareLinkId} (null: none); an endpoint that keeps state across
     * requests (BITS upload sessions) binds it to that link.
     */
    default RequestBodySink start(HttpRequest request, String rawPath, String shareLinkId, ClientResponse out) {
        return start(request, rawPath, out);
    }
}
