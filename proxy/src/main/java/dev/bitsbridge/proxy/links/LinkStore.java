package dev.bitsbridge.proxy.links;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bitsbridge.proxy.state.Json;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bitsbridge.proxy.state.StateFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The registered links, kept in memory for lock-free lookups on the event loops and persisted to
 * {@code <state-dir>/links.json} (atomically, see {@link StateFiles}) on every change, so links
 * survive restarts and reboots. Mutations are serialised by {@code this} and do file I/O: call them
 * off the event loops.
 */
public final class LinkStore {

    static final String FILE = "links.json";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path file;
    private final Map<String, Link> links = new ConcurrentHashMap<>();

    public LinkStore(Path stateDir) throws IOException {
        this.file = stateDir.resolve(FILE);
        if (Files.exists(file)) {
            load();
        }
    }

    private void load() throws IOException {
        JsonNode root;
        try {
            root = Json.mapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException("the link store " + file + " cannot be read: " + e.getMessage(), e);
        }
        for (JsonNode n : root.path("links")) {
            PresignedUrl url = PresignedUrl.parse(n.path("url").asText());
            Link l = new Link(n.path("id").asText(), n.path("name").asText(), url,
                    Instant.parse(n.path("created").asText()));
            links.put(l.id(), l);
        }
    }

    public Link get(String id) {
        return id == null ? null : links.get(id);
    }

    public int size() {
        return links.size();
    }

    public synchronized Link create(PresignedUrl url, String name) throws IOException {
        String id = newId();
        Link l = new Link(id, name, url, Instant.now());
        links.put(id, l);
        persist();
        return l;
    }

    /** Replaces a link's upstream URL; null if there is no such link. */
    public synchronized Link replace(String id, PresignedUrl url) throws IOException {
        Link old = links.get(id);
        if (old == null) {
            return null;
        }
        Link l = old.withUpstream(url);
        links.put(id, l);
        persist();
        return l;
    }

    public synchronized boolean delete(String id) throws IOException {
        if (links.remove(id) == null) {
            return false;
        }
        persist();
        return true;
    }

    private void persist() throws IOException {
        ObjectNode root = Json.mapper().createObjectNode();
        root.put("version", 1);
        ArrayNode arr = root.putArray("links");
        List<Link> sorted = new ArrayList<>(links.values());
        sorted.sort((a, b) -> a.created().compareTo(b.created()));
        for (Link l : sorted) {
            ObjectNode n = arr.addObject();
            n.put("id", l.id());
            n.put("name", l.name());
            n.put("url", l.upstream().secret());
            n.put("created", l.created().toString());
        }
        StateFiles.write(file, Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
    }

    private static String newId() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        StringBuilder sb = new StringBuilder(32);
        for (byte x : b) {
            sb.append(Character.forDigit((x >> 4) & 0xf, 16)).append(Character.forDigit(x & 0xf, 16));
        }
        return sb.toString();
    }
}
