package dev.bitsbridge.proxy.upload;

import dev.bitsbridge.proxy.upload.UpstreamFailures.During;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The in-memory side of a session's spool: how many bytes it holds, the part file being appended
 * (with the running MD5 of its bytes, so a part's Content-MD5 is known the moment it is full and
 * the file is never read just to hash it), and the parts waiting for, in, or failed in their
 * background upload ({@link PartUploader}).
 *
 * <p>Fragment bytes go to the file of the part they belong to ({@code spool.<base>}, one file per
 * part); when a part other than the object's last is full, its file is forced to disk and the part
 * is sealed and queued for upload, and the next part's file is started. The last part is sealed
 * by completion. Nothing here is persisted: after a restart {@link SessionRecovery} rebuilds it
 * from the files and S3.
 *
 * <p>Not thread-safe: guarded by the lock of the {@link UploadSession} that owns it.
 */
final class SessionSpool {

    /** A part whose bytes are all in its spool file; {@code md5} null when it must be computed from the file. */
    record SealedPart(int number, long base, long size, byte[] md5) {
    }

    /** Bytes the server holds: the object offset the next fragment must start at (or before). */
    long received;
    /** Where the open part (the one being appended) starts. */
    long openBase;
    private FileChannel open;
    /** The MD5 of the open part's bytes so far; null until {@link #resync} after a restart or an I/O error. */
    private MessageDigest md5 = newMd5();
    /** The last part was handed to the uploader (all bytes are in and completion began). */
    boolean lastSealed;
    /** The session is ending: no part starts, and steps waiting for parts give up. */
    boolean stopping;
    /** A fragment's body is being written (one at a time per session). */
    boolean writing;

    final Deque<SealedPart> queued = new ArrayDeque<>();
    int inFlight;
    final List<SealedPart> failed = new ArrayList<>();
    /** Why the last failed part failed (transient: a retry may succeed). */
    During lastFailure;
    /** A failure no retry can mend (S3 refused for good, or stored something else): ends the session. */
    Exception permanent;

    static MessageDigest newMd5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has MD5", e);
        }
    }

    /** Parts queued or uploading. */
    int pending() {
        return queued.size() + inFlight;
    }

    /**
     * Appends {@code b} to the spool, across part files as needed; each part other than the
     * object's last that becomes full is forced to disk and given to {@code sealed}.
     */
    void append(UploadSession s, UploadSessionStore store, ByteBuffer b, java.util.function.Consumer<SealedPart> sealed)
            throws IOException {
        while (b.hasRemaining()) {
            if (received == openBase + s.partSize) {
                seal(s, sealed); // full before (a resync found it so): more bytes mean it is not the last
            }
            if (open == null) {
                open = FileChannel.open(SpoolFiles.file(store.dir(s), openBase), StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            }
            ByteBuffer slice = b.slice();
            long room = openBase + s.partSize - received;
            if (slice.remaining() > room) {
                slice.limit((int) room);
            }
            int n = slice.remaining();
            ByteBuffer forDigest = slice.duplicate();
            try {
                while (slice.hasRemaining()) {
                    open.write(slice);
                }
            } catch (IOException e) {
                resync(s, store); // what reached the file is what the spool holds
                throw e;
            }
            md5.update(forDigest);
            b.position(b.position() + n);
            received += n;
            if (received == openBase + s.partSize && received < s.total()) {
                seal(s, sealed);
            }
        }
    }

    /** The open part is full and not the object's last: durable, then queued; the next part's file starts. */
    private void seal(UploadSession s, java.util.function.Consumer<SealedPart> sealed) throws IOException {
        sync();
        sealed.accept(new SealedPart(s.partAt(openBase), openBase, s.partSize, md5.digest()));
        md5.reset();
        openBase = received;
    }

    /** Forces the open part's file to disk (before an ack) and closes it. */
    void sync() throws IOException {
        if (open != null) {
            open.force(false);
            closeFile();
        }
    }

    void closeFile() {
        if (open != null) {
            try {
                open.close();
            } catch (IOException e) {
                // closing a file we only append to: nothing is lost that force() did not keep
            }
            open = null;
        }
    }

    /** The last part, sealed: its bytes are in the open file (all of the object's bytes are in). */
    SealedPart sealLast(UploadSession s) throws IOException {
        sync();
        lastSealed = true;
        return new SealedPart(s.lastPart(), openBase, s.total() - openBase, digestSoFar());
    }

    /** The MD5 of the open part's bytes so far (the digest goes on). */
    byte[] digestSoFar() {
        try {
            return ((MessageDigest) md5.clone()).digest();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("the JDK's MD5 can be cloned", e);
        }
    }

    /**
     * Makes the memory agree with the open part's file: its length (what reached the disk) and the
     * MD5 of its bytes (one read of at most a part, after a restart or an I/O error).
     */
    void resync(UploadSession s, UploadSessionStore store) throws IOException {
        closeFile();
        Path file = SpoolFiles.file(store.dir(s), openBase);
        if (!Files.exists(file)) {
            Files.createFile(file);
        }
        long length = Files.size(file);
        received = openBase + length;
        md5 = newMd5();
        SpoolFiles.digest(file, 0, length, md5);
    }
}
