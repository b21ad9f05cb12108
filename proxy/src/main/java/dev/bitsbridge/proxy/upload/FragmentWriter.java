package dev.bitsbridge.proxy.upload;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * What happens to one Fragment packet's body. Either the answer is already known (a gap, bytes
 * already held, an unknown session: {@link #immediate()}; the body is read and dropped), or the
 * body is appended to the session's spool, skipping the bytes the server already holds, one
 * buffer at a time: the next buffer is read from the client only after the previous one is
 * written, so memory stays bounded whatever the fragment size. One writer per session at a time.
 *
 * <p>Threading: {@link #write} and {@link #finish} run their file work on the upload executor and
 * complete there. Buffer ownership: {@link #write} takes ownership of its buffer.
 */
public final class FragmentWriter {

    /** Marks an ack that completed the upload; the endpoint turns it into a BITS-Reply-URL. */
    static final String REPLY_MARKER = "X-Bitsbridge-Reply-Path";

    /**
     * Where a fragment's new bytes go: the session's spool (local mode) or a shared-mode fragment
     * ({@link SharedFragment}). Called on the upload executor, one call at a time.
     */
    interface Body {
        /** Appends the bytes (after the skipped ones). */
        void append(ByteBuffer[] buffers) throws IOException;

        /** The body is complete: made durable, then the answer. */
        Reply finish();

        /** The client left mid-body. */
        void abandon();
    }

    private final java.util.concurrent.Executor executor;
    private final UploadQuotas quotas;
    private final Body body;
    private final Reply immediate;
    private long skip;
    private long written;
    /** Spool bytes reserved for this fragment ({@link UploadQuotas}); given back once. */
    private final java.util.concurrent.atomic.AtomicLong reserved;

    private FragmentWriter(java.util.concurrent.Executor executor, UploadQuotas quotas, Body body, long skip,
            Reply immediate, long reserved) {
        this.executor = executor;
        this.quotas = quotas;
        this.body = body;
        this.skip = skip;
        this.immediate = immediate;
        this.reserved = new java.util.concurrent.atomic.AtomicLong(reserved);
    }

    /** Local mode: into {@code session}'s spool. */
    FragmentWriter(UploadService service, UploadSession session, long skip, long reserved) {
        this(service.executor(), service.quotas(), new Body() {
            @Override
            public void append(ByteBuffer[] buffers) throws IOException {
                service.append(session, buffers);
            }

            @Override
            public Reply finish() {
                return service.finishFragment(session);
            }

            @Override
            public void abandon() {
                service.abandon(session);
            }
        }, skip, null, reserved);
    }

    /** Into {@code body}, after skipping {@code skip} bytes; {@code reserved} spool bytes are given back at the end. */
    FragmentWriter(java.util.concurrent.Executor executor, UploadQuotas quotas, Body body, long skip, long reserved) {
        this(executor, quotas, body, skip, null, reserved);
    }

    static FragmentWriter answer(Reply reply) {
        return new FragmentWriter(null, null, null, 0, reply, 0);
    }

    private void release() {
        long r = reserved.getAndSet(0);
        if (r != 0) {
            quotas.releaseSpool(r);
        }
    }

    /** The answer, if it does not depend on the body; the body is then to be discarded. */
    public Reply immediate() {
        return immediate;
    }

    /** Appends the part of {@code data} the server does not hold yet; releases {@code data}. */
    public CompletableFuture<Void> write(ByteBuf data) {
        return CompletableFuture.runAsync(() -> {
            try {
                int n = data.readableBytes();
                if (skip > 0) {
                    int s = (int) Math.min(skip, n);
                    data.skipBytes(s);
                    skip -= s;
                }
                if (data.isReadable()) {
                    written += data.readableBytes();
                    body.append(data.nioBuffers());
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            } finally {
                data.release();
            }
        }, executor);
    }

    /** The body is complete: persist and acknowledge (full parts upload meanwhile), complete after the last byte. */
    public CompletableFuture<Reply> finish() {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return body.finish();
            } finally {
                release();
            }
        }, executor);
    }

    /**
     * The client went away mid-body: what was written stays (it is valid), the file is closed (on
     * an upload thread: the session's lock may be held by a step in progress).
     */
    public void abandon() {
        if (body != null) {
            release();
            CompletableFuture.runAsync(body::abandon, executor);
        }
    }

    long written() {
        return written;
    }
}
