package dev.bitsbridge.proxy.upload;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/**
 * A shared-mode fragment's new bytes {@code [from, to)}, received into local temporary files, one
 * per segment: the bytes are cut at the object's part boundaries, so each segment becomes one
 * spill object that lies inside one part ({@link SharedSession}). The MD5 of each segment is
 * computed as it is written (its Content-MD5, and the ETag S3 must answer). The files are not
 * forced to disk: the fragment is acknowledged only once its spills are in S3, so these files are
 * only a buffer, and deleted when the fragment ends however it ends.
 *
 * <p>Threading: {@link #append} is called on upload threads one call at a time (the
 * {@link FragmentWriter} contract); {@link #finish} and {@link #abandon} after the last append.
 */
final class SharedFragment implements FragmentWriter.Body {

    /** One segment: object bytes {@code [start, end)} in {@code file}. */
    static final class Segment {
        final long start;
        final long end;
        final Path file;
        final MessageDigest md5 = SessionSpool.newMd5();
        byte[] digest;

        Segment(long start, long end, Path file) {
            this.start = start;
            this.end = end;
            this.file = file;
        }

        long size() {
            return end - start;
        }
    }

    private final SharedUploads uploads;
    final String sessionId;
    final SharedSessions.Read read;
    final long from;
    final long to;
    /** The object's size, as this fragment's Content-Range says. */
    final long total;
    final List<Segment> segments = new ArrayList<>();
    private int current;
    private long position;
    private FileChannel channel;

    SharedFragment(SharedUploads uploads, String sessionId, SharedSessions.Read read, long from, long to, long total,
            Path dir) throws IOException {
        this.uploads = uploads;
        this.sessionId = sessionId;
        this.read = read;
        this.from = from;
        this.to = to;
        this.total = total;
        SharedSession s = read.session();
        for (long at = from; at < to; ) {
            long end = Math.min(to, s.partAt(at) * s.partSize());
            segments.add(new Segment(at, end, Files.createTempFile(dir, "fragment-", ".part")));
            at = end;
        }
        this.position = from;
    }

    @Override
    public synchronized void append(ByteBuffer[] buffers) throws IOException {
        for (ByteBuffer b : buffers) {
            while (b.hasRemaining()) {
                if (position >= to) {
                    throw new IOException("the fragment has more bytes than its Content-Range says");
                }
                Segment seg = segments.get(current);
                if (channel == null) {
                    channel = FileChannel.open(seg.file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
                }
                int n = (int) Math.min(b.remaining(), seg.end - position);
                ByteBuffer slice = b.slice();
                slice.limit(n);
                seg.md5.update(slice.duplicate());
                while (slice.hasRemaining()) {
                    channel.write(slice);
                }
                b.position(b.position() + n);
                position += n;
                if (position == seg.end) {
                    channel.close();
                    channel = null;
                    seg.digest = seg.md5.digest();
                    current++;
                }
            }
        }
    }

    /** Whether every byte arrived (a client that left mid-body leaves it short). */
    synchronized boolean whole() {
        return position == to;
    }

    @Override
    public Reply finish() {
        try {
            return uploads.finishFragment(this);
        } finally {
            delete();
        }
    }

    @Override
    public synchronized void abandon() {
        delete();
    }

    private synchronized void delete() {
        try {
            if (channel != null) {
                channel.close();
                channel = null;
            }
        } catch (IOException e) {
            // deleted next
        }
        for (Segment s : segments) {
            try {
                Files.deleteIfExists(s.file);
            } catch (IOException e) {
                // a temporary file: the folder is emptied at the next start
            }
        }
    }
}
