package dev.bitsbridge.proxy.links;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bitsbridge.proxy.state.Json;
import dev.bitsbridge.proxy.state.LogIds;
import dev.bitsbridge.proxy.state.StateFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registered links, kept in memory for lock-free lookups on the event loops and persisted one
 * small owner-only file per link, {@code <state-dir>/links/<SHA-256 of the id>.json}, each written
 * atomically (see {@link StateFiles}). A change rewrites one link's file, never all of them: with
 * one {@code links.json} holding every link, 100 registrations after 500 links with 63 KB URLs
 * took 73 s and rewrote 38 MB each time; now they take well under a second (docs/security.md).
 * File names are hashes so that a listing of the folder does not show the capabilities.
 *
 * <p>Links expire ({@code --link-max-age} after their last change, or the lifetime their
 * registration named) and are at most {@code --max-links}: over it, {@link #create} throws
 * {@link LimitReachedException} (507). An expired link is not found from the moment it expires,
 * whether or not its file has been removed yet (that happens at start and on each registration).
 * A {@code links.json} of an earlier version is migrated at start and renamed
 * {@code links.json.migrated}.
 *
 * <p>Threading: {@link #get} and {@link #list} are lock-free and do no I/O (event loops);
 * mutations are serialised by {@code this} and do file I/O: call them off the event loops.
 */
public final class LinkStore implements LinkRegistry {

    static final String LEGACY_FILE = "links.json";
    static final String DIR = "links";
    private static final Logger log = LoggerFactory.getLogger(LinkStore.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Thrown by {@link #create} when {@code --max-links} links exist. */
    public static final class LimitReachedException extends Exception {
        private static final long serialVersionUID = 1L;

        LimitReachedException(int max) {
            super("at most " + max + " links may be registered (--max-links): delete some"
                    + " (DELETE /_bitsbridge/links/<id>) or wait for them to expire");
        }
    }

    private final Path dir;
    private final Clock clock;
    private final int maxLinks;
    private final Duration maxAge;
    private final Map<String, Link> links = new ConcurrentHashMap<>();

    /**
     * @param maxLinks links at most (0: no limit)
     * @param maxAge a link is dropped this long after its last change unless it named its lifetime
     */
    public LinkStore(Path stateDir, Clock clock, int maxLinks, Duration maxAge) throws IOException {
        this.dir = StateFiles.ensureDir(stateDir.resolve(DIR));
        this.clock = clock;
        this.maxLinks = maxLinks;
        this.maxAge = maxAge;
        load();
        Path legacy = stateDir.resolve(LEGACY_FILE);
        if (Files.exists(legacy)) {
            migrate(legacy);
        }
        sweep();
    }

    @Override
    public CompletableFuture<Link> find(String id) {
        return CompletableFuture.completedFuture(get(id));
    }

    @Override
    public boolean shared() {
        return false;
    }

    public Link get(String id) {
        Link l = id == null ? null : links.get(id);
        return l == null || l.expiredAt(clock.instant()) ? null : l;
    }

    /** The links not expired, oldest first. */
    @Override
    public List<Link> list() {
        Instant now = clock.instant();
        List<Link> out = new ArrayList<>();
        for (Link l : links.values()) {
            if (!l.expiredAt(now)) {
                out.add(l);
            }
        }
        out.sort(Comparator.comparing(Link::created).thenComparing(Link::id));
        return out;
    }

    public int size() {
        return list().size();
    }

    @Override
    public int maxLinks() {
        return maxLinks;
    }

    @Override
    public Duration maxAge() {
        return maxAge;
    }


    /**
     * Registers a link.
     *
     * @param lifetime how long the link is kept, or null for {@code --link-max-age} after its last
     *        change; at most {@code --link-max-age}
     */
    @Override
    public synchronized Link create(PresignedUrl url, String name, Duration lifetime)
            throws IOException, LimitReachedException {
        String refused = lifetimeRefusal(lifetime);
        if (refused != null) {
            throw new IllegalArgumentException(refused);
        }
        sweep();
        if (maxLinks > 0 && links.size() >= maxLinks) {
            throw new LimitReachedException(maxLinks);
        }
        Instant now = clock.instant();
        Link l = new Link(newId(), name, url, now, now.plus(lifetime == null ? maxAge : lifetime), lifetime != null);
        write(l);
        links.put(l.id(), l);
        return l;
    }

    /** Replaces a link's upstream URL (and renews its expiry unless it named one); null if there is no such link. */
    @Override
    public synchronized Link replace(String id, PresignedUrl url) throws IOException {
        Link old = get(id);
        if (old == null) {
            return null;
        }
        Link l = old.withUpstream(url, clock.instant().plus(maxAge));
        write(l);
        links.put(id, l);
        return l;
    }

    @Override
    public synchronized boolean delete(String id) throws IOException {
        Link l = get(id);
        if (l == null) {
            return false;
        }
        remove(l);
        return true;
    }

    /** Drops expired links and their files. Caller holds the lock (or is the constructor). */
    private void sweep() throws IOException {
        Instant now = clock.instant();
        for (Link l : List.copyOf(links.values())) {
            if (l.expiredAt(now)) {
                remove(l);
                log.info("{} expired and was dropped", LogIds.of("link", l.id()));
            }
        }
    }

    private void remove(Link l) throws IOException {
        Files.deleteIfExists(fileOf(l.id()));
        links.remove(l.id());
    }

    private void load() throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
            for (Path f : files) {
                try {
                    Link l = parse(Json.mapper().readTree(Files.readString(f, StandardCharsets.UTF_8)), null);
                    links.put(l.id(), l);
                } catch (IOException | RuntimeException e) {
                    // One torn or foreign file must not cost every other link (nor start-up).
                    log.warn("ignoring unreadable link file {}: {}", f.getFileName(), e.getClass().getSimpleName());
                }
            }
        }
    }

    /**
     * Moves the links of an earlier version's {@code links.json} to files of their own. Their last
     * change is unknown, so each gets a full {@code --link-max-age} from now. Rerun whole after a
     * crash (a link's file name is fixed by its id), then the old file is renamed, not deleted.
     */
    private void migrate(Path legacy) throws IOException {
        JsonNode root;
        try {
            root = Json.mapper().readTree(legacy.toFile());
        } catch (IOException e) {
            throw new IOException("the link store " + legacy + " cannot be read: " + e.getMessage(), e);
        }
        Instant expiry = clock.instant().plus(maxAge);
        int n = 0;
        for (JsonNode node : root.path("links")) {
            Link l;
            try {
                l = parse(node, expiry);
            } catch (RuntimeException e) {
                log.warn("not migrating an unreadable link of {}: {}", LEGACY_FILE, e.getClass().getSimpleName());
                continue;
            }
            if (!links.containsKey(l.id())) {
                write(l);
                links.put(l.id(), l);
                n++;
            }
        }
        Files.move(legacy, legacy.resolveSibling(LEGACY_FILE + ".migrated"), StandardCopyOption.REPLACE_EXISTING);
        log.info("{} links moved from {} to {}/ (one file each); the old file is now {}.migrated", n, LEGACY_FILE, DIR,
                LEGACY_FILE);
    }

    /** @param defaultExpiry for records without one (an earlier version's links.json) */
    static Link parse(JsonNode n, Instant defaultExpiry) {
        PresignedUrl url = PresignedUrl.parse(n.path("url").asText());
        String expires = n.path("link_expires").asText(null);
        return new Link(n.path("id").asText(), n.path("name").asText(), url, Instant.parse(n.path("created").asText()),
                expires == null ? defaultExpiry : Instant.parse(expires), n.path("lifetime_given").asBoolean(false));
    }

    private void write(Link l) throws IOException {
        StateFiles.write(fileOf(l.id()), json(l));
    }

    /** A link's record: its file here, its object in the state bucket ({@link SharedLinkStore}). */
    static byte[] json(Link l) {
        ObjectNode n = Json.mapper().createObjectNode();
        n.put("version", 2);
        n.put("id", l.id());
        n.put("name", l.name());
        n.put("url", l.upstream().secret());
        n.put("created", l.created().toString());
        n.put("link_expires", l.expires().toString());
        n.put("lifetime_given", l.lifetimeGiven());
        return (n.toString() + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /** {@code links/<first 32 hex digits of SHA-256(id)>.json}. */
    Path fileOf(String id) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.UTF_8));
            return dir.resolve(HexFormat.of().formatHex(h, 0, 16) + ".json");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String newId() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
