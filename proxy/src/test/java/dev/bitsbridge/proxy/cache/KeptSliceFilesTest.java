package dev.bitsbridge.proxy.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.config.CacheConfig;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.MutableClock;
import dev.bitsbridge.proxy.testing.ProxyFixture;
import dev.bitsbridge.proxy.testing.RawHttp;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Slice files kept open between hits, seen through the proxy (docs/cache.md, "Open slice
 * files"): warm hits are byte-exact and keep one file per slice open; a slice file replaced on
 * disk while its old file is kept open is opened and checked again (a corrupt replacement is
 * caught, never masked by the old channel); evicted slices and a stopped proxy leave no file open.
 */
class KeptSliceFilesTest {

    private static final int SLICE = 256 * 1024;
    private static final byte[] DATA = DiskCacheTest.random(2 * 1024 * 1024 + 4321, 11); // 9 slices
    private static final MutableClock CLOCK = MutableClock.startingNow();

    @RegisterExtension
    static final ProxyFixture fx = ProxyFixture.builder().bucket("kept").object("data.bin", DATA).clock(CLOCK)
            .withoutProxy().build();

    private BitsBridgeServer proxy(Path dir, long maxBytes) throws Exception {
        return fx.startProxy(b -> b.cache(CacheConfig.OFF.withDir(dir).withSliceSize(SLICE).withMaxBytes(maxBytes)));
    }

    private static void whole(BitsBridgeServer p) throws Exception {
        assertArrayEquals(DATA, DiskCacheTest.get(p, "/data.bin").body());
        DiskCacheTest.awaitIdle(p);
    }

    private static RawHttp.Response range(BitsBridgeServer p, int first, int last) throws Exception {
        RawHttp.Response r = DiskCacheTest.get(p, "/data.bin", "Range: bytes=" + first + "-" + last);
        assertEquals(206, r.status());
        assertArrayEquals(Arrays.copyOfRange(DATA, first, last + 1), r.body());
        DiskCacheTest.awaitIdle(p);
        return r;
    }

    private static List<String> onDisk(Path dir) {
        try {
            return DiskCacheTest.sliceFiles(dir).stream().map(f -> f.getFileName().toString()).sorted().toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void warmHitsAreByteExactAndKeepOneFilePerSliceOpen() throws Exception {
        BitsBridgeServer p = proxy(fx.newDir(), 64L << 20);
        whole(p); // filled: read from the fills, nothing kept yet
        whole(p); // every slice opened, checked, kept
        long gets = DiskCacheTest.s3Gets(p);

        whole(p);
        range(p, 300_000, 300_000 + 65_535);
        range(p, SLICE - 100, SLICE + 100);

        assertEquals(9, p.cache().slicesOpen());
        assertEquals(gets, DiskCacheTest.s3Gets(p), "nothing asked of S3");
        assertTrue(DiskCacheTest.metrics(p).contains("bitsbridge_cache_open_files 9"));
    }

    @Test
    void aSliceFileReplacedOnDiskIsCheckedAgainNotServedFromTheKeptChannel() throws Exception {
        Path dir = fx.newDir();
        BitsBridgeServer p = proxy(dir, 64L << 20);
        whole(p);
        whole(p);
        Path slice = DiskCacheTest.sliceFiles(dir).get(4);
        // A damaged copy renamed over the slice: another inode, same size; the kept channel still reads the good one.
        Path copy = slice.resolveSibling("replacement");
        Files.copy(slice, copy);
        try (RandomAccessFile f = new RandomAccessFile(copy.toFile(), "rw")) {
            f.seek(f.length() - 500);
            int b = f.read();
            f.seek(f.length() - 500);
            f.write(b ^ 0x01);
        }
        Files.move(copy, slice, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        long gets = DiskCacheTest.s3Gets(p);
        assertArrayEquals(DATA, DiskCacheTest.get(p, "/data.bin").body(), "within a second: the kept, checked file");
        assertEquals(0, p.cache().stats().corruptSlices());
        CLOCK.advance(Duration.ofMillis(OpenSlices.CONFIRM_MILLIS));

        RawHttp.Response r = DiskCacheTest.get(p, "/data.bin");

        assertEquals(200, r.status());
        assertArrayEquals(DATA, r.body());
        assertEquals(1, p.cache().stats().corruptSlices(), "the new file was checked, and failed");
        DiskCacheTest.awaitIdle(p);
        assertEquals(gets + 1, DiskCacheTest.s3Gets(p), "the replaced slice fetched again, nothing else");
        whole(p);
        assertEquals(1, p.cache().stats().corruptSlices());
    }

    @Test
    void aKeptSliceFileTruncatedWithinTheSecondEndsItsResponseShortAndTheNextLooksAgain() throws Exception {
        Path dir = fx.newDir();
        BitsBridgeServer p = proxy(dir, 64L << 20);
        whole(p);
        whole(p); // every slice kept open, its state just looked at
        Path slice = DiskCacheTest.sliceFiles(dir).get(6);
        try (RandomAccessFile f = new RandomAccessFile(slice.toFile(), "rw")) {
            f.setLength(f.length() / 2); // a torn file, with no time passing on the proxy's clock
        }
        long gets = DiskCacheTest.s3Gets(p);

        RawHttp.Response cut = DiskCacheTest.get(p, "/data.bin");

        assertEquals(200, cut.status());
        assertFalse(cut.complete(), "the kept file shrank under the response: it ends short, never complete");
        assertArrayEquals(Arrays.copyOf(DATA, cut.body().length), cut.body(), "what came is right");
        RawHttp.Response r = DiskCacheTest.get(p, "/data.bin");
        assertEquals(200, r.status());
        assertTrue(r.complete());
        assertArrayEquals(DATA, r.body());
        assertEquals(1, p.cache().stats().corruptSlices(), "the next request looked at the file: checked, failed");
        DiskCacheTest.awaitIdle(p);
        assertEquals(gets + 1, DiskCacheTest.s3Gets(p), "the torn slice fetched again, nothing else");
    }

    @Test
    void evictedSlicesAndAStoppedProxyLeaveNoFileOpen() throws Exception {
        Path dir = fx.newDir();
        long fileSize = SLICE + 1024; // a slice file with its header
        BitsBridgeServer p = proxy(dir, 4 * fileSize);
        for (int round = 0; round < 2; round++) {
            range(p, 0, 4 * SLICE - 1); // slices 0-3: filled, then hit and kept open
        }
        assertEquals(onDisk(dir), p.cache().openSliceKeys().stream().sorted().toList());

        range(p, 5 * SLICE, DATA.length - 1); // slices 5-8 fill the cache: 0-3 are evicted

        assertTrue(p.cache().evictions() >= 4);
        assertEquals(List.of(), p.cache().openSliceKeys().stream()
                .filter(k -> !onDisk(dir).contains(k)).toList(), "evicted slices' files were closed");
        range(p, 5 * SLICE, DATA.length - 1);
        assertEquals(onDisk(dir), p.cache().openSliceKeys().stream().sorted().toList(),
                "the slices on disk (5-8) are kept open, no other");

        p.stop(Duration.ofSeconds(1));
        assertEquals(0, p.cache().slicesOpen());
    }
}
