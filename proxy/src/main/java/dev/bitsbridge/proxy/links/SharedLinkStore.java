package dev.bitsbridge.proxy.links;

import dev.bitsbridge.proxy.state.Json;
import dev.bitsbridge.proxy.state.LogIds;
import dev.bitsbridge.proxy.state.SharedState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registered links of a cluster (scale-out, docs/scale-out.md): one object per link in the
 * state bucket, {@code links/<SHA-256 hex of the id>.json} (the record {@link LinkStore} writes to
 * a file), so a link registered on one instance is served by every other.
 *
 * <p>Lookups stay off S3 for the event loop: a link read here is trusted for {@code validity}
 * ({@code --state-validity}); an id unknown here (or known longer than that) is read from S3 on the
 * I/O executor, and the request continues when it is back. An id found absent is remembered as
 * absent for {@code validity} too (at most {@link #MAX_REMEMBERED} ids), and concurrent lookups of
 * one id share one read. Random ids cannot be remembered usefully, so reads of unknown ids are
 * bounded instead: at most {@link #MAX_LOOKUPS} at a time per instance; beyond that the lookup
 * fails with {@link BusyException} (503, retry) rather than queueing S3 reads without end.
 *
 * <p>Consistency: a registration is visible everywhere at once (a new id is not remembered absent
 * anywhere: nobody could ask for it before); a delete or a fresh URL reaches an instance that read
 * the link within {@code validity}. {@code --max-links} is counted across the cluster with a LIST
 * at each registration; registrations racing on different instances may overshoot it by their
 * number. Expired links are dropped when read and when the limit is reached.
 *
 * <p>Threading: {@link #find} is non-blocking (event loops); everything else blocks on S3.
 */
public final class SharedLinkStore implements LinkRegistry {

    private static final Logger log = LoggerFactory.getLogger(SharedLinkStore.class);
    static final String PREFIX = "links/";
    /** S3 reads of links not known here, in flight at once per instance. */
    static final int MAX_LOOKUPS = 32;
    /** Links and absent ids remembered here (beyond it, remembered answers that are stale go first). */
    static final int MAX_REMEMBERED = 10_000;

    /** A lookup refused because too many are in flight (answered 503: retry). */
    public static final class BusyException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BusyException() {
            super("too many link lookups at once; retry", null, false, false);
        }
    }

    /** A link as read here, or an id read absent ({@code link} null), at {@code readNanos}. */
    private record Cached(Link link, long readNanos) {
    }

    private final SharedState state;
    private final Executor io;
    private final Clock clock;
    private final int maxLinks;
    private final Duration maxAge;
    private final long validityNanos;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<Link>> reading = new ConcurrentHashMap<>();
    private final AtomicInteger lookups = new AtomicInteger();

    public SharedLinkStore(SharedState state, Executor io, Clock clock, int maxLinks, Duration maxAge,
            Duration validity) {
        this.state = state;
        this.io = io;
        this.clock = clock;
        this.maxLinks = maxLinks;
        this.maxAge = maxAge;
        this.validityNanos = validity.toNanos();
    }

    @Override
    public CompletableFuture<Link> find(String id) {
        if (id == null || id.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        Cached c = cache.get(id);
        if (c != null && System.nanoTime() - c.readNanos < validityNanos) {
            return CompletableFuture.completedFuture(live(c.link));
        }
        CompletableFuture<Link> pending = reading.get(id);
        if (pending != null) {
            return pending;
        }
        if (lookups.incrementAndGet() > MAX_LOOKUPS) {
            lookups.decrementAndGet();
            return CompletableFuture.failedFuture(new BusyException());
        }
        CompletableFuture<Link> mine = new CompletableFuture<>();
        CompletableFuture<Link> raced = reading.putIfAbsent(id, mine);
        if (raced != null) {
            lookups.decrementAndGet();
            return raced;
        }
        try {
            io.execute(() -> {
                try {
                    Link l = read(id);
                    remember(id, l);
                    mine.complete(l);
                } catch (IOException | RuntimeException e) {
                    mine.completeExceptionally(e);
                } finally {
                    reading.remove(id, mine);
                    lookups.decrementAndGet();
                }
            });
        } catch (RuntimeException e) {
            // the executor is shut down (the server stops)
            reading.remove(id, mine);
            lookups.decrementAndGet();
            mine.completeExceptionally(e);
        }
        return mine;
    }

    @Override
    public List<Link> list() throws IOException {
        List<Link> out = new ArrayList<>();
        for (String name : state.list(PREFIX)) {
            Link l = parse(state.get(name));
            if (l != null && !l.expiredAt(clock.instant())) {
                out.add(l);
                remember(l.id(), l);
            }
        }
        out.sort(Comparator.comparing(Link::created).thenComparing(Link::id));
        return out;
    }

    @Override
    public boolean shared() {
        return true;
    }

    @Override
    public int maxLinks() {
        return maxLinks;
    }

    @Override
    public Duration maxAge() {
        return maxAge;
    }


    @Override
    public Link create(PresignedUrl url, String name, Duration lifetime)
            throws IOException, LinkStore.LimitReachedException {
        String refused = lifetimeRefusal(lifetime);
        if (refused != null) {
            throw new IllegalArgumentException(refused);
        }
        if (maxLinks > 0) {
            List<String> names = state.list(PREFIX);
            if (names.size() >= maxLinks && liveCount(names) >= maxLinks) {
                throw new LinkStore.LimitReachedException(maxLinks);
            }
        }
        Instant now = clock.instant();
        Link l = new Link(LinkStore.newId(), name, url, now, now.plus(lifetime == null ? maxAge : lifetime),
                lifetime != null);
        if (state.create(nameOf(l.id()), LinkStore.json(l)) == null) {
            throw new IOException("a link with a new random id exists already"); // 2^-128: never
        }
        remember(l.id(), l);
        return l;
    }

    @Override
    public Link replace(String id, PresignedUrl url) throws IOException {
        for (int attempt = 0; attempt < 5; attempt++) {
            SharedState.Versioned v = state.get(nameOf(id));
            Link old = parse(v);
            if (old == null || old.expiredAt(clock.instant())) {
                remember(id, null);
                return null;
            }
            Link l = old.withUpstream(url, clock.instant().plus(maxAge));
            if (state.replace(nameOf(id), LinkStore.json(l), v.etag()) != null) {
                remember(id, l);
                return l;
            }
            // another instance changed it meanwhile: read again
        }
        throw new IOException("the link changed five times while being replaced");
    }

    @Override
    public boolean delete(String id) throws IOException {
        Link l = parse(state.get(nameOf(id)));
        if (l == null) {
            remember(id, null);
            return false;
        }
        state.delete(nameOf(id));
        remember(id, null);
        return !l.expiredAt(clock.instant());
    }

    /** Reads one link; an expired one is deleted (by whichever instance reads it first). */
    private Link read(String id) throws IOException {
        Link l = parse(state.get(nameOf(id)));
        if (l != null && l.expiredAt(clock.instant())) {
            state.delete(nameOf(id));
            log.info("{} expired and was dropped", LogIds.of("link", id));
            return null;
        }
        return l;
    }

    /** Links not expired among {@code names}; expired ones are deleted on the way (reads each: 2 requests). */
    private int liveCount(List<String> names) throws IOException {
        int live = 0;
        for (String name : names) {
            Link l = parse(state.get(name));
            if (l == null) {
                continue;
            }
            if (l.expiredAt(clock.instant())) {
                state.delete(name);
            } else {
                live++;
            }
        }
        return live;
    }

    private static Link parse(SharedState.Versioned v) throws IOException {
        if (v == null) {
            return null;
        }
        try {
            return LinkStore.parse(Json.mapper().readTree(new String(v.body(), StandardCharsets.UTF_8)), null);
        } catch (RuntimeException e) {
            throw new IOException("a link object in the state bucket cannot be read: " + e.getClass().getSimpleName());
        }
    }

    private Link live(Link l) {
        return l == null || l.expiredAt(clock.instant()) ? null : l;
    }

    private void remember(String id, Link l) {
        if (cache.size() >= MAX_REMEMBERED) {
            long now = System.nanoTime();
            cache.values().removeIf(c -> now - c.readNanos >= validityNanos);
            if (cache.size() >= MAX_REMEMBERED) {
                cache.clear(); // all fresh: a flood of lookups; reading again is correct, only slower
            }
        }
        cache.put(id, new Cached(l, System.nanoTime()));
    }

    /** {@code links/<SHA-256 hex of the id>.json}: a listing of the bucket does not show the capabilities. */
    static String nameOf(String id) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.UTF_8));
            return PREFIX + HexFormat.of().formatHex(h) + ".json";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Unwraps what a failed {@link #find} carries. */
    static Throwable cause(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }
}
