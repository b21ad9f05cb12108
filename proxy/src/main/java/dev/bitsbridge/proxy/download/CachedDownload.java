package dev.bitsbridge.proxy.download;

import dev.bitsbridge.proxy.cache.ObjectEntry;
import dev.bitsbridge.proxy.cache.Origin;
import dev.bitsbridge.proxy.cache.SliceCache;
import dev.bitsbridge.proxy.cache.SliceStream;
import dev.bitsbridge.proxy.endpoint.ClientResponse;
import dev.bitsbridge.proxy.endpoint.Transfer;
import dev.bitsbridge.proxy.http.ByteRange;
import dev.bitsbridge.proxy.http.ObjectMetadata;
import dev.bitsbridge.proxy.http.Preconditions.Outcome;
import dev.bitsbridge.proxy.http.ResponseHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * A GET or HEAD of the whole object or of one range, answered through the shared disk cache
 * ({@code --cache-dir}, docs/cache.md). The cache names the version to serve (from its metadata
 * within the validity window, else after asking S3); the proxy decides conditionals, If-Range and
 * the range on that version's validators exactly as {@link ObjectDownload} does on S3's answer,
 * and the body comes slice by slice from {@link SliceStream}.
 *
 * <p>Whatever the cache cannot answer (no ETag, an error from S3, an empty object, the object
 * replaced before the first byte was sent) goes to the uncached path, {@code uncached}, which
 * answers it as if there were no cache: errors keep their one vocabulary and exact wording.
 *
 * <p>Threading: confined to the client's event loop; the cache's answer comes back to it through
 * {@link ClientResponse#onLoop}.
 */
final class CachedDownload implements Transfer {

    private final ClientResponse out;
    private final ObjectSource source;
    private final DownloadRequest request;
    private final SliceCache cache;
    private final Supplier<Transfer> uncached;
    private Transfer current;
    private boolean cancelled;

    CachedDownload(ClientResponse out, ObjectSource source, DownloadRequest request, SliceCache cache,
            Supplier<Transfer> uncached) {
        this.out = out;
        this.source = source;
        this.request = request;
        this.cache = cache;
        this.uncached = uncached;
    }

    void start() {
        Sources.request(source, "GET", false, out, r -> {
            if (cancelled) {
                return;
            }
            Origin origin = new Origin(source.caller(), r, out.ctx().channel().eventLoop());
            CompletableFuture<ObjectEntry> f = cache.lookup(origin);
            if (f.isDone() && !f.isCompletedExceptionally()) {
                decide(origin, f.join());
            } else {
                out.onLoop(f, (e, err) -> decide(origin, err == null ? e : null));
            }
        }, (error, detail) -> fallback());
    }

    private void decide(Origin origin, ObjectEntry entry) {
        if (cancelled) {
            return;
        }
        if (entry == null) {
            fallback();
            return;
        }
        ObjectMetadata meta = entry.meta();
        Outcome outcome = request.preconditions().evaluate(meta.etag(), meta.lastModified());
        if (outcome != Outcome.PROCEED) {
            UpstreamReplies.conditional(out, outcome == Outcome.NOT_MODIFIED
                    ? HttpResponseStatus.NOT_MODIFIED : HttpResponseStatus.PRECONDITION_FAILED, meta);
            return;
        }
        if (request.head()) {
            out.head(HttpResponseStatus.OK, ResponseHeaders.whole(meta));
            return;
        }
        // If-Range that does not hold: the client's partial copy is stale, it gets the whole object.
        if (request.range().isPresent() && request.preconditions().rangeApplies(meta.etag(), meta.lastModified())) {
            ByteRange want = request.range().specs().get(0).resolve(meta.size());
            if (want == null) {
                UpstreamReplies.unsatisfiable(out, meta.size());
                return;
            }
            stream(origin, entry, HttpResponseStatus.PARTIAL_CONTENT, ResponseHeaders.partial(meta, want), want.first(),
                    want.length());
        } else {
            stream(origin, entry, HttpResponseStatus.OK, ResponseHeaders.whole(meta), 0, meta.size());
        }
    }

    private void stream(Origin origin, ObjectEntry entry, HttpResponseStatus status, HttpHeaders headers, long first,
            long length) {
        long size = entry.meta().size();
        SliceStream s = new SliceStream(out, cache, entry, origin, first, length, new SliceStream.Hooks() {
            @Override
            public void head() {
                out.delivering(first, size);
                out.head(status, headers);
            }

            @Override
            public void complete() {
                out.finish();
            }

            @Override
            public void fallback() {
                CachedDownload.this.fallback();
            }
        });
        current = s;
        s.start();
    }

    private void fallback() {
        if (!cancelled) {
            current = uncached.get();
        }
    }

    @Override
    public void cancel() {
        cancelled = true;
        if (current != null) {
            current.cancel();
        }
    }
}
