package dev.bitsbridge.proxy.links;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.testing.MutableClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The link store on disk: one file per link, expiry, the count limit and the migration of links.json (issue #15). */
class LinkStoreTest {

    private static final PresignedUrl URL = PresignedUrl.parse(
            "https://apps.s3.amazonaws.com/setup.exe?X-Amz-Date=20261201T000000Z&X-Amz-Expires=3600&X-Amz-Signature=abc");
    private static final PresignedUrl OTHER = PresignedUrl.parse(
            "https://apps.s3.amazonaws.com/other.msi?X-Amz-Date=20261201T000000Z&X-Amz-Expires=3600&X-Amz-Signature=def");

    @TempDir
    Path state;
    private final MutableClock clock = MutableClock.startingNow();

    private LinkStore open(int max, Duration age) throws Exception {
        return new LinkStore(state, clock, max, age);
    }

    private Map<String, byte[]> files() throws Exception {
        Map<String, byte[]> m = new TreeMap<>();
        try (Stream<Path> s = Files.list(state.resolve("links"))) {
            for (Path p : s.toList()) {
                m.put(p.getFileName().toString(), Files.readAllBytes(p));
            }
        }
        return m;
    }

    @Test
    void aChangeRewritesOneOwnerOnlyFileNamedByAHashOfTheId() throws Exception {
        LinkStore store = open(0, Duration.ofDays(30));
        Link a = store.create(URL, "a.exe", null);
        Link b = store.create(URL, "b.exe", null);
        Map<String, byte[]> before = files();
        assertEquals(2, before.size());
        for (String name : before.keySet()) {
            assertFalse(name.contains(a.id()) || name.contains(b.id()), "a listing of the folder shows no capability");
        }
        store.replace(b.id(), OTHER);
        Map<String, byte[]> after = files();
        Path fa = store.fileOf(a.id());
        Path fb = store.fileOf(b.id());
        assertArrayEquals(before.get(fa.getFileName().toString()), after.get(fa.getFileName().toString()), "a's file untouched");
        assertTrue(new String(after.get(fb.getFileName().toString()), StandardCharsets.UTF_8).contains("other.msi"));
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(fb)));
        }
        assertTrue(store.delete(a.id()));
        assertFalse(Files.exists(fa));
        LinkStore again = open(0, Duration.ofDays(30));
        assertNull(again.get(a.id()));
        assertEquals("other.msi", again.get(b.id()).upstream().fileName(), "survives a restart");
    }

    @Test
    void anEarlierLinksJsonIsMigratedOnceAndRenamed() throws Exception {
        String legacy = "{\"version\":1,\"links\":[{\"id\":\"0123456789abcdef0123456789abcdef\",\"name\":\"setup.exe\","
                + "\"url\":\"" + URL.secret() + "\",\"created\":\"2025-01-01T00:00:00Z\"}]}";
        Files.writeString(state.resolve("links.json"), legacy);
        LinkStore store = open(0, Duration.ofDays(30));
        Link l = store.get("0123456789abcdef0123456789abcdef");
        assertNotNull(l, "the old link still works");
        assertEquals(clock.instant().plus(Duration.ofDays(30)), l.expires(), "a full max age from the migration");
        assertFalse(Files.exists(state.resolve("links.json")));
        assertEquals(legacy, Files.readString(state.resolve("links.json.migrated")));
        assertEquals(1, files().size());
        assertNotNull(open(0, Duration.ofDays(30)).get(l.id()), "and after the next start");
    }

    @Test
    void expiredLinksAreGoneAtOnceAndTheirFilesDroppedOnTheNextChange() throws Exception {
        LinkStore store = open(0, Duration.ofHours(1));
        Link a = store.create(URL, "a.exe", null);
        Link shortLived = store.create(URL, "b.exe", Duration.ofMinutes(10));
        clock.advance(Duration.ofMinutes(30));
        assertNull(store.get(shortLived.id()), "its own lifetime");
        assertEquals(List.of(a), store.list());
        Link renewed = store.replace(a.id(), OTHER);
        assertEquals(clock.instant().plus(Duration.ofHours(1)), renewed.expires(), "a PUT renews the max age");
        clock.advance(Duration.ofMinutes(61));
        assertNull(store.get(a.id()));
        assertNull(store.replace(a.id(), URL), "an expired link cannot be revived");
        store.create(URL, "c.exe", null);
        assertEquals(1, files().size(), "expired files are removed when the store changes");
        assertThrows(IllegalArgumentException.class, () -> store.create(URL, "d.exe", Duration.ofHours(2)));
    }

    @Test
    void overTheLimitCreateIsRefusedUntilALinkGoes() throws Exception {
        LinkStore store = open(2, Duration.ofHours(1));
        Link a = store.create(URL, "a.exe", Duration.ofMinutes(5));
        store.create(URL, "b.exe", null);
        LinkStore.LimitReachedException e = assertThrows(LinkStore.LimitReachedException.class,
                () -> store.create(URL, "c.exe", null));
        assertTrue(e.getMessage().contains("--max-links"), e.getMessage());
        assertEquals(2, files().size(), "nothing written");
        clock.advance(Duration.ofMinutes(6));
        assertNull(store.get(a.id()));
        assertNotNull(store.create(URL, "c.exe", null), "an expired link frees its place");
    }
}
