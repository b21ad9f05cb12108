package dev.bitsbridge.proxy.download;

import dev.bitsbridge.proxy.endpoint.ClientResponse;
import dev.bitsbridge.proxy.endpoint.Transfer;
import dev.bitsbridge.proxy.http.ByteRange;
import dev.bitsbridge.proxy.http.ObjectMetadata;
import dev.bitsbridge.proxy.http.Preconditions.Outcome;
import dev.bitsbridge.proxy.http.ResponseHeaders;
import dev.bitsbridge.proxy.http.SequentialReads;
import io.netty.channel.Channel;
import io.netty.util.Attribute;
import io.netty.util.AttributeKey;
import java.util.function.Supplier;

/**
 * What one client connection is reading: the {@link SequentialReads} tracker and, once a
 * sequential reading was seen, its {@link PrefetchStream}. Kept on the channel (an attribute),
 * so the download path needs nothing from the server's handlers; the stream is closed (its parts
 * stopped, buffers and reservations returned) when the channel closes.
 *
 * <p>Threading: confined to the connection's event loop (one request at a time per connection).
 */
final class ConnectionReads {

    private static final AttributeKey<ConnectionReads> KEY = AttributeKey.valueOf("bitsbridge.connectionReads");

    private final SequentialReads reads = new SequentialReads();
    private PrefetchStream stream;

    static ConnectionReads of(Channel channel) {
        Attribute<ConnectionReads> attr = channel.attr(KEY);
        ConnectionReads c = attr.get();
        if (c == null) {
            ConnectionReads created = new ConnectionReads();
            attr.set(created);
            channel.closeFuture().addListener(f -> created.drop());
            c = created;
        }
        return c;
    }

    SequentialReads reads() {
        return reads;
    }

    /** The stream for this connection's sequential reading; a previous one is dropped. */
    PrefetchStream stream(PrefetchStream s) {
        drop();
        stream = s;
        return s;
    }

    /**
     * A HEAD of {@code object} was answered with {@code etag}: the reading follows it, and a
     * stream of another version is dropped (the client now knows of the new one).
     */
    void headSeen(Object object, String etag) {
        reads.head(object, etag);
        PrefetchStream s = stream;
        if (s != null && s.object().equals(object) && !s.metadata().etag().equals(etag)) {
            drop();
        }
    }

    /** Called by a stream that closed itself. */
    void forget(PrefetchStream s) {
        if (stream == s) {
            stream = null;
        }
    }

    /** Stops the read-ahead, if any: the connection closed, or the reading ended. */
    void drop() {
        PrefetchStream s = stream;
        stream = null;
        if (s != null) {
            s.close();
        }
    }

    /**
     * Answers {@code request} from the stream when it continues the reading exactly (same object,
     * starting at the next byte) and its conditionals hold on the version being read; else drops
     * the stream (the request goes to S3) and returns null.
     */
    Transfer serve(ClientResponse out, Object object, DownloadRequest request, Supplier<Transfer> otherwise) {
        PrefetchStream s = stream;
        if (s == null) {
            return null;
        }
        ObjectMetadata meta = s.metadata();
        ByteRange want = request.range().isPresent() && !request.range().isMultiple()
                ? request.range().specs().get(0).resolve(meta.size()) : null;
        if (want == null || !s.continues(object, want.first())
                || request.preconditions().evaluate(meta.etag(), meta.lastModified()) != Outcome.PROCEED
                || !request.preconditions().rangeApplies(meta.etag(), meta.lastModified())) {
            // Anything else is decided by S3's answer on the object as it is now.
            drop();
            return null;
        }
        reads.served(object, meta.etag(), want.first(), want.length());
        out.delivering(want.first(), meta.size());
        out.upstreamParallelism(s::receiving);
        Handoff transfer = new Handoff(s::cancel);
        s.serve(out, want.length(), ResponseHeaders.partial(meta, want), out::finish,
                () -> transfer.current = otherwise.get());
        return transfer;
    }

    /** The transfer of a request the stream took: the stream, or what answers if it could not. */
    private static final class Handoff implements Transfer {
        Transfer current;

        Handoff(Transfer first) {
            current = first;
        }

        @Override
        public void cancel() {
            current.cancel();
        }
    }
}
