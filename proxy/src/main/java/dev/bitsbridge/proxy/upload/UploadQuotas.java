package dev.bitsbridge.proxy.upload;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The limits on upload state ({@code --max-upload-sessions}, {@code --max-spool-bytes}): without
 * them a few dozen abandoned sessions hold hundreds of MiB of spool for the whole session TTL.
 * Over a limit the client gets a BITS error that says which one: 503 (retry later) when the state
 * may drain, 413 (send smaller fragments) when one fragment alone could never fit.
 *
 * <p>A fragment's new bytes are reserved before its body is read and released when it is written
 * or abandoned; while it is written they count twice (reserved and on disk), which errs on the safe
 * side. Thread-safe (an atomic counter; the spool sizes are read from the files).
 */
final class UploadQuotas {

    private final UploadSessionStore store;
    private final int maxSessions;
    private final long maxSpoolBytes;
    private final AtomicLong reserved = new AtomicLong();

    /** Limits of 0 or less mean unlimited. */
    UploadQuotas(UploadSessionStore store, int maxSessions, long maxSpoolBytes) {
        this.store = store;
        this.maxSessions = maxSessions;
        this.maxSpoolBytes = maxSpoolBytes;
    }

    /** Null if another session may be opened, else the answer to Create-Session. */
    Reply sessionsFull() {
        if (maxSessions <= 0) {
            return null;
        }
        long open = store.all().stream().filter(UploadSession::open).count();
        return open < maxSessions ? null : Reply.fail(BitsError.BUSY, open + " upload sessions are open, the most"
                + " this proxy keeps (--max-upload-sessions); retry later");
    }

    /** Promises {@code bytes} of spool to a fragment: null when granted, else the answer to it. */
    Reply reserveSpool(long bytes) throws IOException {
        if (maxSpoolBytes <= 0) {
            reserved.addAndGet(bytes);
            return null;
        }
        if (bytes > maxSpoolBytes) {
            return Reply.fail(BitsError.TOO_LARGE, "the fragment's " + bytes + " new bytes exceed the spool limit of "
                    + maxSpoolBytes + " bytes (--max-spool-bytes); send smaller fragments");
        }
        long held = spoolBytes();
        if (held + reserved.addAndGet(bytes) > maxSpoolBytes) {
            reserved.addAndGet(-bytes);
            return Reply.fail(BitsError.BUSY, "the upload spool is full (" + held + " of " + maxSpoolBytes
                    + " bytes, --max-spool-bytes); retry later");
        }
        return null;
    }

    /** Gives back a fragment's reservation (it is written, or abandoned). */
    void releaseSpool(long bytes) {
        reserved.addAndGet(-bytes);
    }

    /** Bytes in all sessions' spool files. */
    long spoolBytes() throws IOException {
        long sum = 0;
        for (UploadSession s : store.all()) {
            sum += store.spoolBytes(s);
        }
        return sum;
    }

    long reserved() {
        return reserved.get();
    }
}
