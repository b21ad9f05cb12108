package dev.bitsbridge.proxy.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.bitsbridge.proxy.http.ByteRange;
import dev.bitsbridge.proxy.http.ContentRange;
import dev.bitsbridge.proxy.http.HttpDates;
import dev.bitsbridge.proxy.http.Preconditions;
import dev.bitsbridge.proxy.http.RangeHeader;
import dev.bitsbridge.proxy.http.RequestPath;
import dev.bitsbridge.proxy.http.RequestPath.InvalidPathException;
import dev.bitsbridge.proxy.s3.KeyMapper;
import dev.bitsbridge.proxy.s3.S3Location;
import java.time.Instant;
import java.util.List;

/**
 * Jazzer fuzz targets for the parsers that see untrusted request text. In a normal build they run
 * in regression mode (the seeds in the resources directory of the same name, plus an empty input);
 * with {@code JAZZER_FUZZ=1} they fuzz. Invariants, not just "does not throw": see each target.
 */
class HttpDecisionsFuzzTest {

    private static final int MAX_RANGES = 8;

    /** Decoding either refuses with InvalidPathException or yields text without control characters. */
    @FuzzTest
    void requestPathDecode(FuzzedDataProvider data) {
        String raw = data.consumeRemainingAsString();
        String decoded;
        try {
            decoded = RequestPath.decode(raw);
        } catch (InvalidPathException e) {
            return;
        }
        for (int i = 0; i < decoded.length(); i++) {
            char c = decoded.charAt(i);
            assertFalse(c < 0x20 || c == 0x7f, "control character survived decoding");
            assertTrue(c != 0xfffd || raw.contains("\ufffd") || raw.toUpperCase().contains("%EF%BF%BD"),
                    "replacement character invented by decoding");
        }
    }

    /** Never throws; at most maxRanges specs; resolved ranges lie within [0, size) in spec order. */
    @FuzzTest
    void rangeHeader(FuzzedDataProvider data) {
        long size = data.consumeLong(0, Long.MAX_VALUE);
        String header = data.consumeRemainingAsString();
        RangeHeader h = RangeHeader.parse(header, MAX_RANGES);
        assertNotNull(h);
        assertTrue(h.specs().size() <= MAX_RANGES);
        List<ByteRange> ranges = h.resolve(size);
        assertTrue(ranges.size() <= h.specs().size());
        for (ByteRange r : ranges) {
            assertTrue(r.first() >= 0 && r.first() <= r.last() && r.last() < size, r + " of " + size);
            assertTrue(r.length() > 0);
        }
        for (var spec : h.specs()) {
            assertTrue(spec.toHeaderValue().startsWith("bytes="));
        }
    }

    /** Never throws, whatever the headers and validators. */
    @FuzzTest
    void preconditions(FuzzedDataProvider data) {
        String etag = data.consumeBoolean() ? null : data.consumeString(40);
        Instant lastModified = data.consumeBoolean() ? null : Instant.ofEpochSecond(data.consumeLong(0, 253402300799L));
        String[] h = new String[6];
        for (int i = 0; i < h.length; i++) {
            h[i] = data.consumeBoolean() ? null : data.consumeString(80);
        }
        Preconditions p = Preconditions.of(h[0], h[1], h[2], h[3], h[4], h[5]);
        assertNotNull(p.evaluate(etag, lastModified));
        p.rangeApplies(etag, lastModified);
        if (lastModified != null) {
            // An If-Range date equal to Last-Modified always honours the range.
            String date = HttpDates.format(lastModified);
            assertTrue(Preconditions.of(null, null, null, null, null, date).rangeApplies(etag, lastModified), date);
        }
    }

    /** Never throws; a parsed range is consistent with its total and prints back to itself. */
    @FuzzTest
    void contentRange(FuzzedDataProvider data) {
        String value = data.consumeRemainingAsString();
        ContentRange cr = ContentRange.parse(value);
        if (cr == null) {
            return;
        }
        assertTrue(cr.total() >= 0);
        if (cr.range() != null) {
            assertTrue(cr.range().last() < cr.total());
            assertEquals(cr, ContentRange.parse(cr.range().contentRange(cr.total())));
        }
    }

    /** A mapped key always starts with the prefix and has no "." or ".." segment. */
    @FuzzTest
    void keyMapper(FuzzedDataProvider data) {
        boolean bucketMode = data.consumeBoolean();
        String raw = data.consumeRemainingAsString();
        String prefix = "confined/";
        KeyMapper mapper = new KeyMapper(bucketMode ? "fixed-bucket" : null, prefix);
        S3Location loc;
        try {
            loc = mapper.map(raw);
        } catch (InvalidPathException e) {
            return;
        }
        if (bucketMode) {
            assertEquals("fixed-bucket", loc.bucket());
        }
        assertTrue(loc.key().startsWith(prefix), loc.key());
        String rest = loc.key().substring(prefix.length());
        assertFalse(rest.isEmpty(), "empty key");
        for (String segment : rest.split("/", -1)) {
            assertFalse(segment.equals(".") || segment.equals(".."), "dot segment in " + loc.key());
        }
    }
}
