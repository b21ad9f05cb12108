package dev.bitsbridge.proxy.cache;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * The on-disk format of one slice: a header, then the slice's bytes.
 *
 * <pre>
 *   "BBSL"  version(int)  slice index(long)  data length(int)  block size(int)
 *   identity length(int)  identity (UTF-8)   CRC32C of each block (int each)
 *   CRC32C of all of the above (int)
 *   data
 * </pre>
 *
 * Each {@link #BLOCK} bytes of data carry their own CRC32C, so a reader checks every block before
 * it sends any of it and never holds more than one block in memory. The header is written last
 * (the data goes in at its known offset first) and the file is renamed into place only then, so a
 * crash leaves either no file, a temporary one (deleted at start), or a file whose header or
 * blocks fail their checksums (discarded when read). No fsync: the checksums are what make a torn
 * file harmless, not the order in which the kernel writes it.
 *
 * <p>Stateless. An {@link Opened} slice is owned by the {@link OpenSlices.Handle} made of it (its
 * channel closed when the last reader, and the kept-open index, let go); positional reads are what
 * let several readers share one {@link FileChannel}, a fill's or a complete slice's.
 */
final class SliceFile {

    /** Checksum granularity: the unit a reader reads, verifies and sends. */
    static final int BLOCK = 64 * 1024;
    private static final int MAGIC = 0x4242534c; // "BBSL"
    private static final int VERSION = 1;

    private SliceFile() {
    }

    static int blocks(int length) {
        return (length + BLOCK - 1) / BLOCK;
    }

    static int headerLength(byte[] identity, int length) {
        return 4 + 4 + 8 + 4 + 4 + 4 + identity.length + 4 * blocks(length) + 4;
    }

    static ByteBuffer header(byte[] identity, long index, int length, int[] crcs) {
        ByteBuffer h = ByteBuffer.allocate(headerLength(identity, length));
        h.putInt(MAGIC).putInt(VERSION).putLong(index).putInt(length).putInt(BLOCK).putInt(identity.length)
                .put(identity);
        for (int c : crcs) {
            h.putInt(c);
        }
        CRC32C crc = new CRC32C();
        crc.update(h.array(), 0, h.position());
        h.putInt((int) crc.getValue());
        h.flip();
        return h;
    }

    /**
     * A complete slice opened for reading, its header checked; {@code crcs} null when only blocks
     * that already passed their checksums will be read.
     */
    record Opened(FileChannel channel, long dataOffset, int[] crcs) {
    }

    /**
     * Opens a complete slice file and checks its header against what it must be: its identity,
     * index and length, its own checksum, and the file's size. Returns null (the channel closed)
     * if the file is missing or is not that slice, intact.
     */
    static Opened open(Path file, byte[] identity, long index, int length) throws IOException {
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            return null;
        }
        boolean ok = false;
        try {
            int hl = headerLength(identity, length);
            if (ch.size() != (long) hl + length) {
                return null;
            }
            ByteBuffer h = ByteBuffer.allocate(hl);
            while (h.hasRemaining()) {
                if (ch.read(h, h.position()) < 0) {
                    return null;
                }
            }
            h.flip();
            CRC32C crc = new CRC32C();
            crc.update(h.array(), 0, hl - 4);
            if (h.getInt(hl - 4) != (int) crc.getValue() || h.getInt() != MAGIC || h.getInt() != VERSION
                    || h.getLong() != index || h.getInt() != length || h.getInt() != BLOCK
                    || h.getInt() != identity.length) {
                return null;
            }
            byte[] id = new byte[identity.length];
            h.get(id);
            if (!java.util.Arrays.equals(id, identity)) {
                return null; // another object whose name hashed alike: never serve it
            }
            int[] crcs = new int[blocks(length)];
            for (int i = 0; i < crcs.length; i++) {
                crcs[i] = h.getInt();
            }
            ok = true;
            return new Opened(ch, hl, crcs);
        } finally {
            if (!ok) {
                ch.close();
            }
        }
    }

    /**
     * Opens a slice file whose header was checked before (in the same file state), for its data
     * blocks that passed their checksums; null if it is gone.
     */
    static FileChannel openData(Path file) throws IOException {
        try {
            return FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    static byte[] identityBytes(String identity) {
        return identity.getBytes(StandardCharsets.UTF_8);
    }

    /** The CRC32C of {@code data}'s remaining bytes (its position is not moved). */
    static int crc(ByteBuffer data) {
        CRC32C c = new CRC32C();
        c.update(data.duplicate());
        return (int) c.getValue();
    }
}
