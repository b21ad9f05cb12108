package dev.bitsbridge.proxy.upload;

import dev.bitsbridge.proxy.error.BridgeError;
import dev.bitsbridge.proxy.state.Json;
import dev.bitsbridge.proxy.endpoint.ClientResponse;
import dev.bitsbridge.proxy.endpoint.Transfer;
import dev.bitsbridge.proxy.endpoint.JsonResponses;
import dev.bitsbridge.proxy.endpoint.ProxyEndpoint;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * {@code GET /_bitsbridge/uploads/<session>/reply}: the reply of a completed upload
 * ({@code key}, {@code etag}, {@code versionId}, {@code size}), which BITS upload-reply jobs fetch
 * from the {@code BITS-Reply-URL} of the last fragment's ack.
 */
public final class UploadEndpoints implements ProxyEndpoint {

    private static final String PREFIX = "/_bitsbridge/uploads/";

    private final UploadService service;

    public UploadEndpoints(UploadService service) {
        this.service = service;
    }

    @Override
    public boolean matches(String rawPath) {
        return rawPath.startsWith(PREFIX) && rawPath.endsWith("/reply");
    }

    @Override
    public Transfer handle(HttpRequest request, String rawPath, ByteBuf body, ClientResponse out) {
        String id = rawPath.substring(PREFIX.length(), rawPath.length() - "/reply".length());
        // In shared mode the session is read from S3: off the event loop, answered back on it.
        out.onLoop(service.reply(id), (reply, err) -> {
            if (err != null) {
                JsonResponses.error(out, BridgeError.UPSTREAM_UNAVAILABLE, "the upload's state could not be read; retry");
            } else if (reply == null) {
                JsonResponses.error(out, BridgeError.NOT_FOUND, "no completed upload with that session id");
            } else {
                JsonResponses.send(out, HttpResponseStatus.OK, Json.mapper().valueToTree(reply).toString());
            }
        });
        return null;
    }
}
