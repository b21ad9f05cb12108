package dev.bitsbridge.proxy.download;

import dev.bitsbridge.proxy.endpoint.ClientResponse;

import dev.bitsbridge.proxy.error.BridgeError;
import dev.bitsbridge.proxy.s3.S3Request;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Gets a request from an {@link ObjectSource} and continues on the client's event loop: at once if
 * the source answered synchronously (bucket mode, no thread hop), else when its future completes.
 */
final class Sources {

    private Sources() {
    }

    static void request(ObjectSource source, String method, boolean fresh, ClientResponse out,
            Consumer<S3Request> then, BiConsumer<BridgeError, String> failed) {
        request(source, method, fresh, out.ctx().executor(), then, failed);
    }

    /** The same, continuing on {@code loop} (a client connection's event loop) when the source answers later. */
    static void request(ObjectSource source, String method, boolean fresh, Executor loop,
            Consumer<S3Request> then, BiConsumer<BridgeError, String> failed) {
        CompletableFuture<S3Request> f;
        try {
            f = source.request(method, fresh);
        } catch (ObjectSource.SourceException e) {
            failed.accept(e.error(), e.getMessage());
            return;
        }
        if (f.isDone() && !f.isCompletedExceptionally()) {
            then.accept(f.join());
            return;
        }
        f.whenComplete((r, err) -> loop.execute(() -> {
            if (err == null) {
                then.accept(r);
                return;
            }
            Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
            if (cause instanceof ObjectSource.SourceException se) {
                failed.accept(se.error(), se.getMessage());
            } else {
                failed.accept(BridgeError.UPSTREAM_ERROR, "could not obtain an upstream URL");
            }
        }));
    }
}
