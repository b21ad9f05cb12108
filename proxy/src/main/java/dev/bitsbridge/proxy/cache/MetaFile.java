package dev.bitsbridge.proxy.cache;

import dev.bitsbridge.proxy.http.ObjectMetadata;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An object's cached metadata on disk, one small text file per object name, so a restarted proxy
 * knows what its slices are (and, within the validity window, serves them without asking S3).
 * Written to a temporary file and renamed; a file that does not parse is ignored (the object is
 * then looked up again). Header values cannot hold line breaks (HTTP forbids them), so one line
 * per field is unambiguous.
 *
 * <p>Stateless; callers serialise writes per name (the cache writes on the thread that decided).
 */
final class MetaFile {

    private static final String MAGIC = "bitsbridge-cache-meta 1";

    private MetaFile() {
    }

    static void write(Path file, ObjectEntry e) throws IOException {
        ObjectMetadata m = e.meta();
        StringBuilder sb = new StringBuilder(MAGIC).append('\n');
        sb.append("name ").append(e.name()).append('\n');
        sb.append("size ").append(m.size()).append('\n');
        sb.append("etag ").append(m.etag()).append('\n');
        sb.append("modified ").append(m.lastModified() == null ? "-" : Long.toString(m.lastModified().getEpochSecond()))
                .append('\n');
        sb.append("type ").append(m.contentType() == null ? "-" : m.contentType()).append('\n');
        sb.append("validated ").append(e.validatedAt()).append('\n');
        for (Map.Entry<String, String> h : m.stored().entrySet()) {
            sb.append("h ").append(h.getKey()).append(": ").append(h.getValue()).append('\n');
        }
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp" + Thread.currentThread().getId());
        Files.writeString(tmp, sb, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The entry in {@code file} if it is one for {@code name}; null if absent or unreadable. */
    static ObjectEntry read(Path file, String name, int sliceSize) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
        try {
            if (lines.isEmpty() || !lines.get(0).equals(MAGIC)) {
                return null;
            }
            Map<String, String> f = new LinkedHashMap<>();
            Map<String, String> stored = new LinkedHashMap<>();
            for (String l : lines.subList(1, lines.size())) {
                int sp = l.indexOf(' ');
                if (sp < 0) {
                    return null;
                }
                String k = l.substring(0, sp);
                String v = l.substring(sp + 1);
                if (k.equals("h")) {
                    int c = v.indexOf(": ");
                    stored.put(v.substring(0, c), v.substring(c + 2));
                } else {
                    f.put(k, v);
                }
            }
            if (!name.equals(f.get("name"))) {
                return null;
            }
            String mod = f.get("modified");
            String type = f.get("type");
            ObjectMetadata m = new ObjectMetadata(Long.parseLong(f.get("size")), f.get("etag"),
                    "-".equals(mod) ? null : Instant.ofEpochSecond(Long.parseLong(mod)),
                    "-".equals(type) ? null : type, stored);
            return new ObjectEntry(name, m, sliceSize, Long.parseLong(f.get("validated")));
        } catch (RuntimeException e) {
            return null;
        }
    }
}
