package dev.bitsbridge.proxy.cache;

import dev.bitsbridge.proxy.state.StateFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The slice files under {@code <cache-dir>/slices} and their accounting: which complete slices
 * exist, least recently used first, and how many bytes they and the fills in flight take.
 *
 * <p>The bound: a fill reserves its whole file size before it writes a byte; the reservation
 * evicts least recently used complete slices until it fits, and is refused (the reader is then
 * served uncached) if it cannot fit, so the files never take more than {@code --cache-size}
 * (metadata files, well under a KiB per object, are not counted). A restart rebuilds the index
 * from the files present, oldest modification first, and deletes the temporary files of fills
 * that a crash interrupted.
 *
 * <p>Thread-safe: one lock around the index; file deletions happen under it so that a fill that
 * writes a slice again cannot lose its new file to the deletion of the old one.
 */
final class SliceStore {

    private static final Logger log = LoggerFactory.getLogger(SliceStore.class);
    static final String TMP = ".tmp";

    private final Path slices;
    private final Path meta;
    private final long maxBytes;
    private final LinkedHashMap<String, Long> lru = new LinkedHashMap<>(256, 0.75f, true);
    private long stored;
    private long reserved;
    private long evictions;
    private final Consumer<String> deleted;

    SliceStore(Path dir, long maxBytes) throws IOException {
        this(dir, maxBytes, key -> { });
    }

    /** @param deleted told the key of each slice file deleted (under the index's lock: it must not call back) */
    SliceStore(Path dir, long maxBytes, Consumer<String> deleted) throws IOException {
        this.deleted = deleted;
        this.slices = dir.resolve("slices");
        this.meta = dir.resolve("meta");
        this.maxBytes = maxBytes;
        // Owner-only where the file system allows: the slices are the objects' bytes.
        StateFiles.ensureDir(dir);
        Files.createDirectories(slices);
        Files.createDirectories(meta);
        scan();
    }

    private void scan() throws IOException {
        record Found(String key, long size, long modified) {
        }
        List<Found> found = new ArrayList<>();
        try (Stream<Path> s = Files.walk(slices, 2)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String n = p.getFileName().toString();
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                if (!a.isRegularFile()) {
                    continue;
                }
                if (n.contains(TMP)) {
                    Files.deleteIfExists(p); // a fill a crash interrupted
                } else {
                    found.add(new Found(n, a.size(), a.lastModifiedTime().toMillis()));
                }
            }
        }
        found.sort(Comparator.comparingLong(Found::modified));
        synchronized (this) {
            for (Found f : found) {
                lru.put(f.key(), f.size());
                stored += f.size();
            }
            evictTo(0);
        }
        if (!found.isEmpty()) {
            log.info("cache: {} slices, {} bytes found in the cache folder", lru.size(), stored);
        }
    }

    Path sliceFile(String key) {
        return slices.resolve(key.substring(0, 2)).resolve(key);
    }

    Path metaFile(String name) {
        String h = ObjectEntry.nameHash(name);
        return meta.resolve(h.substring(0, 2)).resolve(h);
    }

    /** Whether a complete slice is indexed; counts as a use for the LRU order. */
    synchronized boolean contains(String key) {
        return lru.get(key) != null;
    }

    /**
     * Reserves room for a slice file of {@code bytes}, evicting least recently used slices.
     * False (nothing reserved) if even an empty cache could not take it beside the fills in flight.
     */
    synchronized boolean reserve(long bytes) {
        evictTo(bytes);
        if (stored + reserved + bytes > maxBytes) {
            return false;
        }
        reserved += bytes;
        return true;
    }

    synchronized void unreserve(long bytes) {
        reserved -= bytes;
    }

    /** A fill's file is in place: its reservation becomes a stored slice. */
    synchronized void stored(String key, long bytes, long reservation) {
        reserved -= reservation;
        Long old = lru.put(key, bytes);
        stored += bytes - (old == null ? 0 : old);
        evictTo(0);
    }

    /** Drops one slice (it failed its checksum, or its file is not what it must be). */
    synchronized void discard(String key) {
        Long old = lru.remove(key);
        if (old != null) {
            stored -= old;
        }
        delete(key);
    }

    /** Drops every slice of a version that S3 no longer has. */
    synchronized void discardAll(String idHash) {
        Iterator<Map.Entry<String, Long>> it = lru.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, Long> e = it.next();
            if (e.getKey().startsWith(idHash)) {
                it.remove();
                stored -= e.getValue();
                delete(e.getKey());
            }
        }
    }

    private void evictTo(long room) {
        Iterator<Map.Entry<String, Long>> it = lru.entrySet().iterator();
        while (stored + reserved + room > maxBytes && it.hasNext()) {
            Map.Entry<String, Long> e = it.next();
            it.remove();
            stored -= e.getValue();
            evictions++;
            delete(e.getKey());
        }
    }

    private void delete(String key) {
        deleted.accept(key);
        try {
            Files.deleteIfExists(sliceFile(key));
        } catch (IOException e) {
            log.debug("cache: could not delete a slice: {}", e.toString());
        }
    }

    /** Bytes of complete slices plus the reservations of fills in flight. */
    synchronized long size() {
        return stored + reserved;
    }

    synchronized long storedBytes() {
        return stored;
    }

    synchronized int sliceCount() {
        return lru.size();
    }

    synchronized long evictions() {
        return evictions;
    }

    long maxBytes() {
        return maxBytes;
    }
}
