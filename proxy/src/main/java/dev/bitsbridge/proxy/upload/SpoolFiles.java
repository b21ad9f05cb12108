package dev.bitsbridge.proxy.upload;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A session's spool: the bytes not yet in S3, in a file named by the object offset of its first
 * byte ({@code spool.<base>}). Cutting a part writes the remainder to a new file for the new base
 * before the old one is deleted, so after a crash at any point some spool file with a base at or
 * below what S3 confirmed exists, and {@link #recover} rebuilds a consistent spool from it.
 * Blocking file I/O; not thread-safe (the session's work is serialised).
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

    /**
     * Makes {@code spool.<confirmed>} the only spool file, from the newest file whose base is at or
     * below {@code confirmed} (dropping the bytes S3 already holds). Returns its length, or -1 if no
     * usable file exists (the bytes between are lost: the session must restart).
     */
    static long recover(Path dir, long confirmed) throws IOException {
        List<Long> bases = bases(dir);
        long best = -1;
        for (long b : bases) {
            if (b <= confirmed) {
                best = b;
            }
        }
        if (best < 0) {
            return -1;
        }
        Path src = file(dir, best);
        long length = Files.size(src);
        if (best + length < confirmed) {
            return -1;
        }
        if (best < confirmed) {
            writeTail(src, confirmed - best, file(dir, confirmed));
        }
        for (long b : bases) {
            if (b != confirmed) {
                Files.deleteIfExists(file(dir, b));
            }
        }
        return Files.size(file(dir, confirmed));
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
