package dev.bitsbridge.proxy.links;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.config.SharedStateConfig;
import dev.bitsbridge.proxy.s3.S3SharedState;
import dev.bitsbridge.proxy.testing.MutableClock;
import dev.bitsbridge.proxy.testing.S3Server;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link SharedLinkStore} against s3proxy: a link is one object named by the hash of its id,
 * expiry is honoured across instances, {@code --max-links} counts the cluster's links, and reads of
 * ids unknown here are bounded (a flood of random ids cannot queue S3 reads without end).
 */
class SharedLinkStoreTest {

    private static S3Server s3;
    private static S3SharedState state;
    private static final PresignedUrl URL = PresignedUrl.parse("https://b.s3.amazonaws.com/a.bin?X-Amz-Signature=abc");

    @BeforeAll
    static void start() throws Exception {
        s3 = new S3Server();
        s3.createBucket("state");
        state = S3SharedState.create(ProxyConfig.builder().bucket("data").region("us-east-1").endpoint(s3.endpoint())
                .sharedState(SharedStateConfig.OFF.withBucket("state").withPrefix("links-test/")).build(),
                s3.credentials(), null);
    }

    @AfterAll
    static void stop() throws Exception {
        state.close();
        s3.close();
    }

    private static SharedLinkStore store(MutableClock clock, int maxLinks) {
        return new SharedLinkStore(state, Runnable::run, clock, maxLinks, Duration.ofDays(7), Duration.ofSeconds(10));
    }

    @Test
    void aLinkIsOneObjectNamedByTheHashOfItsIdAndExpiresEverywhere() throws Exception {
        MutableClock clock = MutableClock.startingNow();
        SharedLinkStore a = store(clock, 0);
        SharedLinkStore b = store(clock, 0);
        Link l = a.create(URL, "a.bin", Duration.ofHours(1));
        String name = SharedLinkStore.nameOf(l.id());
        assertTrue(name.matches("links/[0-9a-f]{64}\\.json"), name);
        assertFalse(name.contains(l.id()));
        assertNotNull(state.get(name));
        assertEquals(l.upstream().secret(), b.find(l.id()).get().upstream().secret(), "read by another instance");

        clock.advance(Duration.ofHours(1));
        assertNull(a.find(l.id()).get(), "expired: refused at once, even from memory");
        SharedLinkStore c = store(clock, 0);
        assertNull(c.find(l.id()).get());
        assertNull(state.get(name), "the first instance to read it expired deleted it");
    }

    @Test
    void maxLinksCountsTheClustersLinksAndDropsExpiredOnes() throws Exception {
        for (String n : state.list(SharedLinkStore.PREFIX)) {
            state.delete(n);
        }
        MutableClock clock = MutableClock.startingNow();
        SharedLinkStore a = store(clock, 2);
        SharedLinkStore b = store(clock, 2);
        a.create(URL, "1.bin", Duration.ofMinutes(1));
        b.create(URL, "2.bin", null);
        assertThrows(LinkStore.LimitReachedException.class, () -> a.create(URL, "3.bin", null));
        clock.advance(Duration.ofMinutes(1));
        assertNotNull(a.create(URL, "3.bin", null), "the expired link made room");
        assertEquals(2, b.list().size());
    }

    @Test
    void lookupsOfUnknownIdsAreBoundedAndSharedPerId() {
        List<Runnable> queued = new ArrayList<>();
        SharedLinkStore s = new SharedLinkStore(state, queued::add, MutableClock.startingNow(), 0, Duration.ofDays(7),
                Duration.ofSeconds(10));
        List<CompletableFuture<Link>> pending = new ArrayList<>();
        for (int i = 0; i < SharedLinkStore.MAX_LOOKUPS; i++) {
            pending.add(s.find("unknown-" + i));
        }
        assertSame(pending.get(0), s.find("unknown-0"), "one read per id, however many ask");
        CompletableFuture<Link> refused = s.find("one-too-many");
        ExecutionException e = assertThrows(ExecutionException.class, refused::get);
        assertInstanceOf(SharedLinkStore.BusyException.class, e.getCause());
        assertEquals(SharedLinkStore.MAX_LOOKUPS, queued.size(), "no S3 read queued for the refused one");
        queued.forEach(Runnable::run); // the reads: none of them exists
        for (CompletableFuture<Link> f : pending) {
            assertNull(f.join());
        }
        assertNull(s.find("unknown-0").join(), "remembered absent: no read");
        assertEquals(SharedLinkStore.MAX_LOOKUPS, queued.size());
        assertFalse(s.find("one-too-many").isDone(), "room again");
    }
}
