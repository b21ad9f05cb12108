package dev.bitsbridge.proxy.endpoint;

import io.netty.handler.codec.http.HttpRequest;

/** Serves requests whose body is streamed to a {@link RequestBodySink} (BITS_POST uploads). */
public interface StreamingEndpoint {

    /**
     * Starts serving {@code request}. Returns the sink for its body, or null if the body is not
     * needed (the answer does not depend on it; it is then read and dropped).
     */
    RequestBodySink start(HttpRequest request, String rawPath, ClientResponse out);
}
