package dev.bitsbridge.proxy.http;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/**
 * The framing of a {@code 206 multipart/byteranges} body (RFC 9110 §14.6) for a list of ranges:
 * the boundary, each part's header block and the closing delimiter, so the exact Content-Length is
 * known before the first byte is sent. Parts stay in request order; BITS requires it.
 *
 * <p>Layout: {@code --B CRLF headers CRLF CRLF data} for each part, parts separated by
 * {@code CRLF}, then {@code CRLF --B-- CRLF}. Part headers are Content-Type and Content-Range only,
 * which keeps each part header under the ~180 bytes BITS tolerates.
 */
public final class MultipartByteranges {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final String boundary;
    private final List<ByteRange> ranges;
    private final List<byte[]> partHeaders;
    private final byte[] closing;
    private final long contentLength;

    public MultipartByteranges(List<ByteRange> ranges, long size, String contentType) {
        this(ranges, size, contentType, newBoundary());
    }

    MultipartByteranges(List<ByteRange> ranges, long size, String contentType, String boundary) {
        this.boundary = boundary;
        this.ranges = List.copyOf(ranges);
        String type = contentType == null ? "application/octet-stream" : contentType;
        this.partHeaders = new ArrayList<>(ranges.size());
        long length = 0;
        for (int i = 0; i < ranges.size(); i++) {
            ByteRange r = ranges.get(i);
            String head = (i == 0 ? "" : "\r\n") + "--" + boundary + "\r\n"
                    + "Content-Type: " + type + "\r\n"
                    + "Content-Range: " + r.contentRange(size) + "\r\n\r\n";
            byte[] bytes = head.getBytes(StandardCharsets.ISO_8859_1);
            partHeaders.add(bytes);
            length += bytes.length + r.length();
        }
        this.closing = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII);
        this.contentLength = length + closing.length;
    }

    private static String newBoundary() {
        byte[] b = new byte[12];
        RANDOM.nextBytes(b);
        char[] c = new char[b.length * 2];
        for (int i = 0; i < b.length; i++) {
            c[2 * i] = HEX[(b[i] >> 4) & 0xf];
            c[2 * i + 1] = HEX[b[i] & 0xf];
        }
        return "bitsbridge-" + new String(c);
    }

    public String contentType() {
        return "multipart/byteranges; boundary=" + boundary;
    }

    public String boundary() {
        return boundary;
    }

    public List<ByteRange> ranges() {
        return ranges;
    }

    /** The bytes that precede part {@code i}'s data. */
    public byte[] partHeader(int i) {
        return partHeaders.get(i);
    }

    public byte[] closingDelimiter() {
        return closing;
    }

    /** Exact total body length: all part headers, all part data and the closing delimiter. */
    public long contentLength() {
        return contentLength;
    }
}
