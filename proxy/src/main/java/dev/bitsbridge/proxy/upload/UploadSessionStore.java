package dev.bitsbridge.proxy.upload;

import dev.bitsbridge.proxy.state.Json;
import dev.bitsbridge.proxy.state.StateFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Upload sessions on disk: {@code <state-dir>/uploads/<id>/session.json} (replaced atomically) and
 * the spool files (the bytes not yet in S3, one file per part: {@link SpoolFiles}). Everything a session needs to resume after a crash is
 * there or in S3 (ListParts). Thread-safe map; file work is done by the caller's thread.
 */
final class UploadSessionStore {

    private static final Logger log = LoggerFactory.getLogger(UploadSessionStore.class);

    private final Path root;
    private final Map<String, UploadSession> sessions = new ConcurrentHashMap<>();

    UploadSessionStore(Path stateDir) throws IOException {
        this.root = StateFiles.ensureDir(stateDir.resolve("uploads"));
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path d : (Iterable<Path>) dirs::iterator) {
                Path f = d.resolve("session.json");
                if (!Files.isRegularFile(f)) {
                    continue;
                }
                try {
                    UploadSession s = UploadSession.fromJson(Json.mapper().readTree(f.toFile()));
                    sessions.put(key(s.id), s);
                } catch (IOException | RuntimeException e) {
                    log.warn("ignoring unreadable upload session {}: {}",
                            dev.bitsbridge.proxy.state.LogIds.of("upload", "{" + d.getFileName() + "}"), e.toString());
                }
            }
        }
    }

    static String key(String sessionId) {
        return sessionId.trim().toUpperCase(java.util.Locale.ROOT);
    }

    UploadSession get(String sessionId) {
        return sessionId == null ? null : sessions.get(key(sessionId));
    }

    Collection<UploadSession> all() {
        return sessions.values();
    }

    Path dir(UploadSession s) {
        return root.resolve(s.id.replace("{", "").replace("}", ""));
    }

    void add(UploadSession s) throws IOException {
        StateFiles.ensureDir(dir(s));
        Path first = SpoolFiles.file(dir(s), 0);
        Files.deleteIfExists(first);
        Files.createFile(first);
        save(s);
        sessions.put(key(s.id), s);
    }

    void save(UploadSession s) throws IOException {
        StateFiles.write(dir(s).resolve("session.json"), Json.mapper().writeValueAsBytes(s.toJson(Json.mapper())));
    }

    /** Forgets a session and deletes its folder (spool included). */
    void remove(UploadSession s) throws IOException {
        sessions.remove(key(s.id));
        Path d = dir(s);
        if (Files.exists(d)) {
            try (Stream<Path> files = Files.walk(d)) {
                for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** Bytes in the session's spool files (0 once they are gone). */
    long spoolBytes(UploadSession s) throws IOException {
        long sum = 0;
        for (long base : SpoolFiles.bases(dir(s))) {
            try {
                sum += Files.size(SpoolFiles.file(dir(s), base));
            } catch (java.nio.file.NoSuchFileException e) {
                // cut or dropped meanwhile
            }
        }
        return sum;
    }

    /** Deletes the spool files but keeps the session record (completed sessions serve their reply). */
    void dropSpool(UploadSession s) throws IOException {
        for (long base : SpoolFiles.bases(dir(s))) {
            Files.deleteIfExists(SpoolFiles.file(dir(s), base));
        }
    }
}
