package dev.bitsbridge.proxy.state;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;

/**
 * Durable, crash-safe state files under {@code --state-dir}: every write goes to a temporary file
 * in the same folder, is forced to disk, then atomically renamed over the old file, so a crash at
 * any moment leaves either the old or the new content, never a torn file. Files hold secrets
 * (presigned URLs, the share-link key), so they are created readable by their owner only where
 * the file system supports POSIX permissions (on Windows the per-user profile folder's ACL does
 * that job).
 */
public final class StateFiles {

    private StateFiles() {
    }

    /**
     * The default state folder: {@code %LOCALAPPDATA%\bitsbridge} on Windows, else
     * {@code $HOME/.bitsbridge}. {@code $HOME} rather than Java's {@code user.home}: they differ
     * under sudo, in containers and for service accounts, and a user (and {@code share}, run by
     * them) expects the folder their shell calls home.
     */
    public static Path defaultDir() {
        return defaultDir(System.getProperty("os.name", ""), System.getenv(), System.getProperty("user.home"));
    }

    static Path defaultDir(String osName, java.util.Map<String, String> env, String userHome) {
        String local = env.get("LOCALAPPDATA");
        if (osName.toLowerCase(Locale.ROOT).contains("win") && local != null && !local.isEmpty()) {
            return Path.of(local, "bitsbridge");
        }
        String home = env.get("HOME");
        return Path.of(home != null && !home.isEmpty() ? home : userHome, ".bitsbridge");
    }

    /** Creates the folder (owner-only where possible) if it does not exist. */
    public static Path ensureDir(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            if (posix(dir)) {
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            }
        }
        return dir;
    }

    /** Replaces {@code file} with {@code content} atomically and durably. */
    public static void write(Path file, byte[] content) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        ensureDir(dir);
        Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
        try {
            if (posix(tmp)) {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.wrap(content);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            syncDir(dir);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void syncDir(Path dir) {
        // Makes the rename itself durable on Linux; not possible (nor needed) everywhere.
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // best effort
        }
    }

    private static boolean posix(Path p) {
        return FileSystems.getDefault().supportedFileAttributeViews().contains("posix") && p.getFileSystem()
                .supportedFileAttributeViews().contains("posix");
    }

    /**
     * Publishes {@code content} as {@code f} only if no such file exists, written whole and
     * owner-only first: two processes starting at once on one state folder end with one file (a
     * hard link fails if the name exists; where links are not supported, a move does the job).
     */
    public static void createIfAbsent(Path f, byte[] content) throws IOException {
        Path tmp = f.resolveSibling("." + f.getFileName() + "." + Long.toHexString(TMP_NAMES.nextLong()) + ".tmp");
        try {
            write(tmp, content);
            try {
                Files.createLink(f, tmp);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                // another process won: its file stands
            } catch (UnsupportedOperationException | IOException e) {
                if (!Files.exists(f)) {
                    Files.move(tmp, f);
                }
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static final java.util.Random TMP_NAMES = new java.security.SecureRandom();
}
