package dev.bitsbridge.proxy.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The slice file format: what is written is read back; any damage to the header is refused. */
class SliceFileTest {

    @TempDir
    Path dir;

    private static final byte[] ID = SliceFile.identityBytes("262144\nhttp://s3:9000/b/k\n\"e\"\n1000000");

    private Path write(byte[] data, long index) throws IOException {
        int blocks = SliceFile.blocks(data.length);
        int[] crcs = new int[blocks];
        for (int b = 0; b < blocks; b++) {
            int from = b * SliceFile.BLOCK;
            crcs[b] = SliceFile.crc(ByteBuffer.wrap(data, from, Math.min(SliceFile.BLOCK, data.length - from)));
        }
        Path f = dir.resolve("s-" + index);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ch.write(SliceFile.header(ID, index, data.length, crcs), 0);
            ch.write(ByteBuffer.wrap(data), SliceFile.headerLength(ID, data.length));
        }
        return f;
    }

    @Test
    void aWrittenSliceOpensWithItsBlockChecksums() throws IOException {
        byte[] data = new byte[3 * SliceFile.BLOCK + 17];
        new Random(1).nextBytes(data);
        Path f = write(data, 3);

        SliceFile.Opened o = SliceFile.open(f, ID, 3, data.length);

        assertNotNull(o);
        try (FileChannel ch = o.channel()) {
            assertEquals(4, o.crcs().length);
            ByteBuffer last = ByteBuffer.allocate(17);
            ch.read(last, o.dataOffset() + 3L * SliceFile.BLOCK);
            last.flip();
            assertEquals(o.crcs()[3], SliceFile.crc(last));
            byte[] got = new byte[17];
            last.get(got);
            assertArrayEquals(java.util.Arrays.copyOfRange(data, 3 * SliceFile.BLOCK, data.length), got);
        }
    }

    @Test
    void anotherIdentityIndexOrLengthIsRefused() throws IOException {
        byte[] data = new byte[1000];
        Path f = write(data, 0);
        byte[] other = SliceFile.identityBytes("262144\nhttp://s3:9000/b/k\n\"f\"\n1000000");

        assertNull(SliceFile.open(f, other, 0, 1000), "another version whose name hashed alike");
        assertNull(SliceFile.open(f, ID, 1, 1000));
        assertNull(SliceFile.open(f, ID, 0, 999));
        assertNull(SliceFile.open(dir.resolve("absent"), ID, 0, 1000));
    }

    @Test
    void everyDamagedHeaderByteAndATruncationAreRefused() throws IOException {
        byte[] data = new byte[500];
        Path f = write(data, 0);
        int hl = SliceFile.headerLength(ID, data.length);
        byte[] good = Files.readAllBytes(f);
        for (int i = 0; i < hl; i++) {
            byte[] bad = good.clone();
            bad[i] ^= 0x01;
            Files.write(f, bad);
            assertNull(SliceFile.open(f, ID, 0, data.length), "header byte " + i);
        }
        Files.write(f, java.util.Arrays.copyOf(good, good.length - 1));
        assertNull(SliceFile.open(f, ID, 0, data.length), "torn file");
    }

    @Test
    void aFlippedDataBitChangesItsBlockChecksum() {
        byte[] data = new byte[SliceFile.BLOCK];
        new Random(2).nextBytes(data);
        int before = SliceFile.crc(ByteBuffer.wrap(data));
        data[12345] ^= 0x10;
        assertNotEquals(before, SliceFile.crc(ByteBuffer.wrap(data)));
    }
}
