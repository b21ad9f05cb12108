package dev.bitsbridge.proxy.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The multipart/byteranges framing: exact length, request order, small part headers. */
class MultipartByterangesTest {

    private static byte[] object(int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (i * 31 + 7);
        }
        return b;
    }

    /** Assembles the body the way the download code sends it: header, data, ..., closing. */
    private static byte[] assemble(MultipartByteranges m, byte[] obj) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < m.ranges().size(); i++) {
            ByteRange r = m.ranges().get(i);
            out.writeBytes(m.partHeader(i));
            out.write(obj, (int) r.first(), (int) r.length());
        }
        out.writeBytes(m.closingDelimiter());
        return out.toByteArray();
    }

    @Test
    void contentLengthIsTheExactAssembledLength() {
        byte[] obj = object(10_000);
        List<ByteRange> ranges = List.of(new ByteRange(9000, 9999), new ByteRange(0, 0), new ByteRange(10, 4095));
        MultipartByteranges m = new MultipartByteranges(ranges, obj.length, "application/x-msdownload");
        assertEquals(m.contentLength(), assemble(m, obj).length);
        // Also for a single part and for an absent content type.
        MultipartByteranges one = new MultipartByteranges(List.of(new ByteRange(3, 3)), obj.length, null);
        assertEquals(one.contentLength(), assemble(one, obj).length);
    }

    @Test
    void parsesBackAsRfc2046MultipartWithPartsInRequestOrder() {
        byte[] obj = object(5000);
        List<ByteRange> ranges = List.of(new ByteRange(4000, 4999), new ByteRange(0, 99), new ByteRange(50, 149));
        MultipartByteranges m = new MultipartByteranges(ranges, obj.length, "text/plain", "BOUNDARY");
        assertEquals("multipart/byteranges; boundary=BOUNDARY", m.contentType());
        String body = new String(assemble(m, obj), StandardCharsets.ISO_8859_1);

        assertTrue(body.startsWith("--BOUNDARY\r\n"), body.substring(0, 20));
        assertTrue(body.endsWith("\r\n--BOUNDARY--\r\n"));
        String inner = body.substring(0, body.length() - "\r\n--BOUNDARY--\r\n".length());
        String[] parts = inner.split("\r\n--BOUNDARY\r\n", -1);
        parts[0] = parts[0].substring("--BOUNDARY\r\n".length());
        assertEquals(3, parts.length);
        Pattern cr = Pattern.compile("Content-Range: bytes (\\d+)-(\\d+)/5000");
        for (int i = 0; i < parts.length; i++) {
            int sep = parts[i].indexOf("\r\n\r\n");
            String head = parts[i].substring(0, sep);
            assertTrue(head.contains("Content-Type: text/plain"), head);
            Matcher mt = cr.matcher(head);
            assertTrue(mt.find(), head);
            ByteRange r = ranges.get(i);
            assertEquals(r.first(), Long.parseLong(mt.group(1)));
            assertEquals(r.last(), Long.parseLong(mt.group(2)));
            byte[] data = parts[i].substring(sep + 4).getBytes(StandardCharsets.ISO_8859_1);
            byte[] expected = new byte[(int) r.length()];
            System.arraycopy(obj, (int) r.first(), expected, 0, expected.length);
            assertArrayEquals(expected, data, "part " + i);
        }
    }

    @Test
    void partHeadersHoldOnlyTypeAndRangeAndStayUnder180Bytes() {
        // BITS tolerates ~180 bytes per part header; the largest S3 object is 5 TiB.
        long size = 5L * 1024 * 1024 * 1024 * 1024;
        List<ByteRange> ranges = new ArrayList<>();
        ranges.add(new ByteRange(size - 1_000_000_000_000L, size - 2));
        ranges.add(new ByteRange(0, size - 1));
        MultipartByteranges m = new MultipartByteranges(ranges, size, "application/octet-stream");
        for (int i = 0; i < ranges.size(); i++) {
            byte[] head = m.partHeader(i);
            assertTrue(head.length < 180, "part header " + i + " is " + head.length);
            String[] lines = new String(head, StandardCharsets.ISO_8859_1).trim().split("\r\n");
            assertEquals(3, lines.length, String.join("|", lines));
            assertEquals("--" + m.boundary(), lines[0]);
            assertEquals("Content-Type: application/octet-stream", lines[1]);
            assertEquals("Content-Range: " + ranges.get(i).contentRange(size), lines[2]);
        }
    }

    @Test
    void boundaryIsRandomAndTokenSafe() {
        List<ByteRange> r = List.of(new ByteRange(0, 0), new ByteRange(1, 1));
        MultipartByteranges a = new MultipartByteranges(r, 2, null);
        MultipartByteranges b = new MultipartByteranges(r, 2, null);
        assertNotEquals(a.boundary(), b.boundary());
        assertTrue(a.boundary().matches("[A-Za-z0-9'()+_,./:=?-]{1,70}"), a.boundary());
        assertTrue(new String(a.partHeader(0), StandardCharsets.ISO_8859_1)
                .contains("Content-Type: application/octet-stream\r\n"));
    }
}
