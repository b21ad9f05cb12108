package dev.bitsbridge.proxy.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.config.CacheConfig;
import dev.bitsbridge.proxy.config.NetworkConfig;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.MutableClock;
import dev.bitsbridge.proxy.testing.ProxyFixture;
import dev.bitsbridge.proxy.testing.RawHttp;
import dev.bitsbridge.proxy.testing.TlsPair;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Hits sent from the file once their blocks have passed their checksums (docs/cache.md,
 * "Integrity"): the first read after a fill checks every block, later reads go out with sendfile
 * and are byte-exact; a slice file changed after its blocks passed (a write the file system
 * records) is checked again at its next read, and one that rots unnoticed by the file system is
 * checked again once its checks lapse; under TLS the checked blocks are read, not sent from the
 * file, and are byte-exact too.
 */
class CheckedBlocksTest {

    private static final int SLICE = 256 * 1024;
    private static final byte[] DATA = DiskCacheTest.random(2 * 1024 * 1024 + 4321, 7);
    private static final MutableClock CLOCK = MutableClock.startingNow();

    @RegisterExtension
    static final ProxyFixture fx = ProxyFixture.builder().bucket("checked").object("data.bin", DATA).clock(CLOCK)
            .withoutProxy().build();

    private BitsBridgeServer proxy(Path dir) throws Exception {
        return fx.startProxy(b -> b.cache(CacheConfig.OFF.withDir(dir).withSliceSize(SLICE)));
    }

    /** Fills every slice, then reads it once more: every block has passed its checksum. */
    private static void fillAndCheck(BitsBridgeServer p) throws Exception {
        assertArrayEquals(DATA, DiskCacheTest.get(p, "/data.bin").body());
        DiskCacheTest.awaitIdle(p);
        assertArrayEquals(DATA, DiskCacheTest.get(p, "/data.bin").body());
        DiskCacheTest.awaitIdle(p);
    }

    @Test
    void hitsWhoseBlocksPassedAreSentFromTheFileByteExact() throws Exception {
        BitsBridgeServer p = proxy(fx.newDir());
        fillAndCheck(p);
        long fromFile = p.cache().stats().bytesSentFromFile();
        long gets = DiskCacheTest.s3Gets(p);

        RawHttp.Response whole = DiskCacheTest.get(p, "/data.bin");
        // Across a block boundary, and across a slice boundary.
        RawHttp.Response inBlocks = DiskCacheTest.get(p, "/data.bin", "Range: bytes=60000-130000");
        RawHttp.Response inSlices = DiskCacheTest.get(p, "/data.bin", "Range: bytes=262000-800000");

        assertEquals(200, whole.status());
        assertArrayEquals(DATA, whole.body());
        assertEquals(206, inBlocks.status());
        assertEquals("bytes 60000-130000/" + DATA.length, inBlocks.header("Content-Range"));
        assertArrayEquals(Arrays.copyOfRange(DATA, 60000, 130001), inBlocks.body());
        assertArrayEquals(Arrays.copyOfRange(DATA, 262000, 800001), inSlices.body());
        DiskCacheTest.awaitIdle(p);
        assertEquals(fromFile + DATA.length + 70001 + 538001, p.cache().stats().bytesSentFromFile(),
                "every byte of the three responses sent from the file");
        assertEquals(gets, DiskCacheTest.s3Gets(p), "nothing asked of S3");
        assertTrue(DiskCacheTest.metrics(p).contains("bitsbridge_cache_sendfile_bytes_total "
                + (fromFile + DATA.length + 70001 + 538001)));
    }

    @Test
    void aSliceWrittenToAfterItsBlocksPassedIsCheckedAgainAndNeverServedCorrupt() throws Exception {
        Path dir = fx.newDir();
        BitsBridgeServer p = proxy(dir);
        fillAndCheck(p);
        Path slice = DiskCacheTest.sliceFiles(dir).get(3);
        FileTime before = Files.getLastModifiedTime(slice);
        flipLastBlockByte(slice);
        if (Files.getLastModifiedTime(slice).equals(before)) {
            // The file system's clock ticks coarsely (milliseconds or more): as a later write would.
            Files.setLastModifiedTime(slice, FileTime.fromMillis(before.toMillis() + 1000));
        }
        CLOCK.advance(Duration.ofMillis(OpenSlices.CONFIRM_MILLIS)); // kept files are looked at again after this
        long gets = DiskCacheTest.s3Gets(p);

        RawHttp.Response r = DiskCacheTest.get(p, "/data.bin");

        assertEquals(200, r.status());
        assertTrue(r.complete());
        assertArrayEquals(DATA, r.body());
        assertEquals(1, p.cache().stats().corruptSlices());
        DiskCacheTest.awaitIdle(p);
        assertEquals(gets + 1, DiskCacheTest.s3Gets(p), "the changed slice fetched again, nothing else");
    }

    @Test
    void aSliceThatRotsUnnoticedByTheFileSystemIsCheckedAgainOnceItsChecksLapse() throws Exception {
        Path dir = fx.newDir();
        BitsBridgeServer p = proxy(dir);
        fillAndCheck(p);
        Path slice = DiskCacheTest.sliceFiles(dir).get(5);
        FileTime before = Files.getLastModifiedTime(slice);
        flipLastBlockByte(slice);
        Files.setLastModifiedTime(slice, before); // size, inode and time as they were: only the bytes differ
        CLOCK.advance(Duration.ofMillis(BlockChecks.RECHECK_MILLIS + 1000));

        RawHttp.Response r = DiskCacheTest.get(p, "/data.bin");

        assertEquals(200, r.status());
        assertArrayEquals(DATA, r.body());
        assertEquals(1, p.cache().stats().corruptSlices());
    }

    @Test
    void underTlsCheckedBlocksAreReadForTheBytesWantedAndByteExact() throws Exception {
        Path dir = fx.newDir();
        TlsPair pair = TlsPair.generate(dir, "cache");
        BitsBridgeServer p = fx.startProxy(b -> b.cache(CacheConfig.OFF.withDir(dir.resolve("cache"))
                .withSliceSize(SLICE)).network(NetworkConfig.DEFAULTS.withTls(pair.cert(), pair.key())));
        HttpClient client = HttpClient.newBuilder().sslContext(pair.clientContext()).build();
        URI uri = URI.create("https://127.0.0.1:" + p.port() + "/data.bin");
        for (int round = 0; round < 3; round++) {
            assertArrayEquals(DATA, client.send(HttpRequest.newBuilder(uri).build(),
                    HttpResponse.BodyHandlers.ofByteArray()).body());
            DiskCacheTest.awaitIdle(p);
        }
        for (List<Integer> range : List.of(List.of(60000, 130000), List.of(262000, 800000), List.of(0, 0))) {
            HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(uri)
                    .header("Range", "bytes=" + range.get(0) + "-" + range.get(1)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(206, r.statusCode());
            assertArrayEquals(Arrays.copyOfRange(DATA, range.get(0), range.get(1) + 1), r.body());
        }
        assertEquals(0, p.cache().stats().bytesSentFromFile(), "TLS cannot send a file's pages as they are");
        assertTrue(p.cache().stats().hits() > 0);
    }

    private static void flipLastBlockByte(Path slice) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(slice.toFile(), "rw")) {
            long at = f.length() - 1000;
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x40);
        }
    }
}
