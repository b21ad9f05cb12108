package dev.bitsbridge.proxy.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Accounting and eviction of slice files: reservations count, least recently used go first. */
class SliceStoreTest {

    @TempDir
    Path dir;

    private void put(SliceStore s, String key, int size) throws IOException {
        assertTrue(s.reserve(size));
        Path f = s.sliceFile(key);
        Files.createDirectories(f.getParent());
        Files.write(f, new byte[size]);
        s.stored(key, size, size);
    }

    @Test
    void leastRecentlyUsedSlicesAreEvictedToMakeRoom() throws IOException {
        SliceStore s = new SliceStore(dir, 300);
        put(s, "aa-0", 100);
        put(s, "bb-0", 100);
        put(s, "cc-0", 100);
        assertTrue(s.contains("aa-0")); // used: bb-0 is now the oldest

        put(s, "dd-0", 100);

        assertFalse(s.contains("bb-0"));
        assertFalse(Files.exists(s.sliceFile("bb-0")));
        assertTrue(s.contains("aa-0") && s.contains("cc-0") && s.contains("dd-0"));
        assertEquals(300, s.size());
        assertEquals(1, s.evictions());
    }

    @Test
    void fillsInFlightCountAndAReservationThatCannotFitIsRefused() throws IOException {
        SliceStore s = new SliceStore(dir, 300);
        assertTrue(s.reserve(150));
        assertTrue(s.reserve(150));
        assertFalse(s.reserve(1), "nothing to evict: the fills in flight hold it all");
        s.unreserve(150);
        assertEquals(150, s.size());
        assertTrue(s.reserve(100));
    }

    @Test
    void aRestartIndexesWhatIsThereAndDeletesTemporaryFiles() throws IOException {
        SliceStore s = new SliceStore(dir, 1000);
        put(s, "aa-0", 100);
        put(s, "bb-1", 200);
        Path tmp = s.sliceFile("cc-0").resolveSibling("cc-0" + SliceStore.TMP + "123");
        Files.createDirectories(tmp.getParent());
        Files.write(tmp, new byte[50]);

        SliceStore again = new SliceStore(dir, 1000);

        assertEquals(300, again.size());
        assertTrue(again.contains("aa-0") && again.contains("bb-1"));
        assertFalse(Files.exists(tmp));
    }

    @Test
    void aSmallerSizeAtRestartEvictsDownToIt() throws IOException {
        SliceStore s = new SliceStore(dir, 1000);
        put(s, "aa-0", 400);
        put(s, "bb-0", 400);

        SliceStore smaller = new SliceStore(dir, 500);

        assertTrue(smaller.size() <= 500);
        assertEquals(1, smaller.sliceCount());
    }

    @Test
    void discardAllDropsEverySliceOfOneVersion() throws IOException {
        SliceStore s = new SliceStore(dir, 1000);
        put(s, "aaaa-0", 10);
        put(s, "aaaa-1", 10);
        put(s, "bbbb-0", 10);

        s.discardAll("aaaa");

        assertEquals(1, s.sliceCount());
        assertEquals(10, s.size());
        assertFalse(Files.exists(s.sliceFile("aaaa-1")));
    }
}
