package dev.bitsbridge.proxy.upload;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A session's spool files: the bytes not yet confirmed in S3, one file per part, named by the
 * object offset of the part's first byte ({@code spool.<base>}). A part's file is deleted only after
 * S3 confirmed the part and the session recorded it, so after a crash at any point every byte that
 * was acknowledged is in a recorded part or a spool file ({@link SessionRecovery} walks them).
 * Blocking file I/O; stateless.
 */
final class SpoolFiles {

    private static final String PREFIX = "spool.";

    private SpoolFiles() {
    }

    static Path file(Path dir, long base) {
        return dir.resolve(PREFIX + base);
    }

    /** The bases of the spool files present, ascending. */
    static List<Long> bases(Path dir) throws IOException {
        List<Long> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String n = p.getFileName().toString();
                if (n.startsWith(PREFIX) && n.substring(PREFIX.length()).chars().allMatch(Character::isDigit)) {
                    out.add(Long.parseLong(n.substring(PREFIX.length())));
                }
            }
        }
        out.sort(Long::compare);
        return out;
    }

    /** Adds {@code length} bytes of {@code file} from {@code offset} to {@code md} (streamed, 64 KiB at a time). */
    static void digest(Path file, long offset, long length, java.security.MessageDigest md) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            long pos = offset;
            long end = offset + length;
            while (pos < end) {
                buf.clear().limit((int) Math.min(buf.capacity(), end - pos));
                int n = in.read(buf, pos);
                if (n < 0) {
                    throw new IOException(file.getFileName() + " is shorter than expected");
                }
                buf.flip();
                md.update(buf);
                pos += n;
            }
        }
    }

    /** Writes the bytes of {@code src} from {@code offset} on to {@code dst}, durably, atomically. */
    static void writeTail(Path src, long offset, Path dst) throws IOException {
        Path tmp = dst.resolveSibling(dst.getFileName() + ".tmp");
        try (FileChannel in = FileChannel.open(src, StandardOpenOption.READ);
                FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING)) {
            long pos = offset;
            long size = in.size();
            while (pos < size) {
                pos += in.transferTo(pos, size - pos, out);
            }
            out.force(true);
        }
        Files.move(tmp, dst, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
