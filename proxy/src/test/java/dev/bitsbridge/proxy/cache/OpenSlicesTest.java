package dev.bitsbridge.proxy.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.testing.MutableClock;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The slice files kept open between hits (docs/cache.md, "Open slice files"): a hit in the same
 * file state reuses the channel; a file in another state (replaced, written into) never gets the
 * old channel; the count is bounded, idle files are closed, eviction and shutdown close them, and
 * a reader (a region in flight) keeps its channel open until it is done with it.
 */
class OpenSlicesTest {

    @TempDir
    Path dir;

    private final MutableClock clock = MutableClock.startingNow();

    private Path file(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    /** A handle on {@code f} as the cache makes one: its state taken first, then opened. */
    private static OpenSlices.Handle open(Path f) throws IOException {
        BlockChecks.FileState state = BlockChecks.FileState.of(f);
        return new OpenSlices.Handle(new SliceFile.Opened(SliceFile.openData(f), 0, new int[0]), state);
    }

    @Test
    void aHitInTheSameFileStateReusesTheChannelAndItStaysOpenAfterTheReader() throws IOException {
        OpenSlices open = new OpenSlices(clock);
        Path f = file("k1", "slice one");
        OpenSlices.Handle h = open(f);
        open.keep("k1", h);
        h.release(); // the first reader is done

        OpenSlices.Handle again = open.acquire("k1", BlockChecks.FileState.of(f));

        assertSame(h, again);
        assertTrue(again.channel().isOpen());
        ByteBuffer b = ByteBuffer.allocate(5);
        again.channel().read(b, 6);
        assertEquals("one", new String(b.array(), 0, b.position()));
        again.release();
        assertTrue(h.channel().isOpen(), "kept for the next hit");
        assertEquals(1, open.size());
    }

    @Test
    void aFileReplacedUnderItsNameNeverGetsTheOldChannel() throws IOException {
        OpenSlices open = new OpenSlices(clock);
        Path f = file("k1", "old version");
        OpenSlices.Handle old = open(f);
        open.keep("k1", old);
        old.release();
        Path replacement = file("k1.tmp", "new version, longer");
        Files.move(replacement, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);

        OpenSlices.Handle got = open.acquire("k1", BlockChecks.FileState.of(f));

        assertNull(got, "another inode and size: opened and checked again by the caller");
        assertFalse(old.channel().isOpen(), "the old file's channel is closed, not kept");
        assertEquals(0, open.size());
        assertNull(open.acquire("k1", null), "a file that is gone has no channel either");
    }

    @Test
    void aFileFoundUnchangedIsHandedOutWithoutALookForOneSecondThenLookedAtAgain() throws IOException {
        OpenSlices open = new OpenSlices(clock);
        Path f = file("k1", "slice one");
        OpenSlices.Handle h = open(f);
        open.keep("k1", h);
        h.release();
        assertNull(open.acquireConfirmed("k2"), "nothing kept for another key");

        clock.advance(Duration.ofMillis(OpenSlices.CONFIRM_MILLIS - 1));
        OpenSlices.Handle recent = open.acquireConfirmed("k1");
        assertSame(h, recent, "state taken when it was opened, under a second ago");
        recent.release();

        clock.advance(Duration.ofMillis(1));
        assertNull(open.acquireConfirmed("k1"), "a second since the last look: the caller looks again");
        OpenSlices.Handle looked = open.acquire("k1", BlockChecks.FileState.of(f));
        assertSame(h, looked);
        looked.release();
        clock.advance(Duration.ofMillis(OpenSlices.CONFIRM_MILLIS / 2));
        OpenSlices.Handle again = open.acquireConfirmed("k1");
        assertSame(h, again, "found unchanged by that look: trusted for another second");
        again.release();

        Files.writeString(f, "slice two"); // written into: same inode, another time
        clock.advance(Duration.ofMillis(OpenSlices.CONFIRM_MILLIS));
        assertNull(open.acquireConfirmed("k1"));
        assertNull(open.acquire("k1", BlockChecks.FileState.of(f)), "the look sees the change");
        assertFalse(h.channel().isOpen());
    }

    @Test
    void theCountIsBoundedLeastRecentlyUsedClosedFirst() throws IOException {
        OpenSlices open = new OpenSlices(clock, 3, OpenSlices.IDLE_MILLIS);
        List<OpenSlices.Handle> hs = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Path f = file("k" + i, "slice " + i);
            OpenSlices.Handle h = open(f);
            open.keep("k" + i, h);
            h.release();
            hs.add(h);
            if (i == 2) {
                // k0 used again: k1 is now the least recently used
                OpenSlices.Handle hit = open.acquire("k0", BlockChecks.FileState.of(dir.resolve("k0")));
                assertNotNull(hit);
                hit.release();
            }
        }

        assertEquals(3, open.size());
        assertTrue(hs.get(0).channel().isOpen());
        assertFalse(hs.get(1).channel().isOpen());
        assertFalse(hs.get(2).channel().isOpen());
        assertTrue(hs.get(3).channel().isOpen());
        assertTrue(hs.get(4).channel().isOpen());
    }

    @Test
    void closingAKeptFileLeavesAReaderInFlightItsChannelUntilItIsDone() throws IOException {
        OpenSlices open = new OpenSlices(clock);
        Path f = file("k1", "slice");
        OpenSlices.Handle h = open(f);
        open.keep("k1", h);
        // The reader still holds h (a region being sent): the slice is evicted meanwhile.

        open.close("k1");

        assertTrue(h.channel().isOpen(), "the region in flight still reads it");
        assertNull(open.acquire("k1", BlockChecks.FileState.of(f)));
        h.release();
        assertFalse(h.channel().isOpen(), "closed once the last reader is done");
    }

    @Test
    void idleFilesAreClosedAndNothingIsKeptAfterShutdown() throws IOException {
        OpenSlices open = new OpenSlices(clock);
        OpenSlices.Handle idle = open(file("k1", "idle"));
        open.keep("k1", idle);
        idle.release();
        clock.advance(Duration.ofMillis(OpenSlices.IDLE_MILLIS / 2));
        OpenSlices.Handle busy = open(file("k2", "busy"));
        open.keep("k2", busy);
        busy.release();
        clock.advance(Duration.ofMillis(OpenSlices.IDLE_MILLIS / 2 + 1));

        open.sweep();

        assertFalse(idle.channel().isOpen());
        assertTrue(busy.channel().isOpen());
        assertEquals(1, open.size());

        open.closeAll();
        assertFalse(busy.channel().isOpen());
        OpenSlices.Handle late = open(file("k3", "late"));
        open.keep("k3", late);
        late.release();
        assertFalse(late.channel().isOpen(), "after shutdown a reader's file is closed when it is done");
        assertEquals(0, open.size());
    }

    @Test
    void aChannelClosedUnderneathIsNotHandedOut() throws IOException {
        OpenSlices open = new OpenSlices(clock);
        Path f = file("k1", "slice");
        OpenSlices.Handle h = open(f);
        open.keep("k1", h);
        h.release();
        h.channel().close(); // as an interrupted reader would leave it

        assertNull(open.acquire("k1", BlockChecks.FileState.of(f)));
        assertEquals(0, open.size());
    }
}
