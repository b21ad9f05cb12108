package dev.bitsbridge.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Range header parsing (RFC 9110 §14.1/§14.2) and resolution against an object size. */
class RangeHeaderTest {

    private static final int MAX = 8;

    private static List<RangeSpec> specs(String header) {
        return RangeHeader.parse(header, MAX).specs();
    }

    @Test
    void closedOpenAndSuffixForms() {
        assertEquals(List.of(RangeSpec.closed(0, 9)), specs("bytes=0-9"));
        assertEquals(List.of(RangeSpec.openEnded(100)), specs("bytes=100-"));
        assertEquals(List.of(RangeSpec.suffix(500)), specs("bytes=-500"));
        assertTrue(RangeHeader.parse("bytes=0-0", MAX).isPresent());
        assertFalse(RangeHeader.parse("bytes=0-0", MAX).isMultiple());
    }

    @Test
    void whitespaceAroundElementsAndUnitIsTolerated() {
        assertEquals(List.of(RangeSpec.closed(0, 9), RangeSpec.suffix(5)), specs("  bytes = 0 - 9 ,  -5  "));
        assertEquals(List.of(RangeSpec.closed(1, 2)), specs("BYTES=1-2"));
    }

    @Test
    void multipleRangesKeepRequestOrderUnmerged() {
        // Adjacent but not overlapping: kept as asked, in order (BITS rejects merged answers).
        RangeHeader h = RangeHeader.parse("bytes=500-599,0-99,100-149", MAX);
        assertTrue(h.isMultiple());
        assertEquals(List.of(RangeSpec.closed(500, 599), RangeSpec.closed(0, 99), RangeSpec.closed(100, 149)), h.specs());
        assertEquals(List.of(new ByteRange(500, 599), new ByteRange(0, 99), new ByteRange(100, 149)), h.resolve(1000));
    }

    @Test
    void overlappingRangesAreCoalescedSoNoResponseExceedsTheObject() {
        assertEquals(List.of(new ByteRange(0, 149), new ByteRange(500, 599)),
                RangeHeader.parse("bytes=500-599,0-99,50-149", MAX).resolve(1000));
        String manyWhole = "bytes=" + String.join(",", java.util.Collections.nCopies(100, "0-"));
        assertEquals(List.of(new ByteRange(0, 999)), RangeHeader.parse(manyWhole, 100).resolve(1000));
        String manyFirst = "bytes=" + String.join(",", java.util.Collections.nCopies(100, "0-0"));
        assertEquals(List.of(new ByteRange(0, 0)), RangeHeader.parse(manyFirst, 100).resolve(1000));
        assertEquals(List.of(new ByteRange(900, 999)), RangeHeader.parse("bytes=-100,950-", MAX).resolve(1000));
    }

    @Test
    void emptyListElementsAreIgnored() {
        assertEquals(List.of(RangeSpec.closed(0, 1), RangeSpec.closed(4, 5)), specs("bytes=,0-1,, ,4-5,"));
        assertSame(RangeHeader.NONE, RangeHeader.parse("bytes=", MAX));
        assertSame(RangeHeader.NONE, RangeHeader.parse("bytes=,,", MAX));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "bytes=5-2",          // reversed
        "bytes=0-1,5-2",      // one reversed element spoils the header
        "items=0-9",          // another unit
        "bytes 0-9",          // no '='
        "0-9",
        "bytes=abc",
        "bytes=1",            // no dash
        "bytes=-",            // neither side
        "bytes=+1-2",         // sign is not a digit
        "bytes=1-2-3",
        "bytes=0x10-20",
        "bytes=1.5-2",
        "bytes=-1e3",
        "",
        "   ",
    })
    void invalidHeadersAreIgnored(String header) {
        RangeHeader h = RangeHeader.parse(header, MAX);
        assertSame(RangeHeader.NONE, h);
        assertFalse(h.isPresent());
        assertEquals(List.of(), h.resolve(100));
    }

    @Test
    void nullIsNone() {
        assertSame(RangeHeader.NONE, RangeHeader.parse(null, MAX));
    }

    @Test
    void overflowingNumbersSaturate() {
        String huge = "99999999999999999999999999999";
        assertEquals(List.of(RangeSpec.closed(0, Long.MAX_VALUE)), specs("bytes=0-" + huge));
        assertEquals(List.of(RangeSpec.openEnded(Long.MAX_VALUE)), specs("bytes=" + huge + "-"));
        assertEquals(List.of(RangeSpec.suffix(Long.MAX_VALUE)), specs("bytes=-" + huge));
        // Saturated end means "to the end" and is not forwarded as a number to S3.
        assertEquals("bytes=0-", RangeSpec.closed(0, Long.MAX_VALUE).toHeaderValue());
        assertEquals(List.of(new ByteRange(0, 99)), RangeHeader.parse("bytes=0-" + huge, MAX).resolve(100));
        assertEquals(List.of(new ByteRange(0, 99)), RangeHeader.parse("bytes=-" + huge, MAX).resolve(100));
        assertEquals(List.of(), RangeHeader.parse("bytes=" + huge + "-", MAX).resolve(100));
        // An overflowing run that then turns into garbage is still garbage.
        assertSame(RangeHeader.NONE, RangeHeader.parse("bytes=0-" + huge + "x", MAX));
    }

    @Test
    void moreThanMaxRangesIsIgnoredExactlyMaxIsKept() {
        StringBuilder sb = new StringBuilder("bytes=");
        for (int i = 0; i < MAX; i++) {
            sb.append(i == 0 ? "" : ",").append(i * 10).append('-').append(i * 10 + 1);
        }
        assertEquals(MAX, specs(sb.toString()).size());
        assertSame(RangeHeader.NONE, RangeHeader.parse(sb + ",900-901", MAX));
        // Empty elements do not count against the limit.
        assertEquals(MAX, specs(sb + ",,,").size());
    }

    @Test
    void resolutionClipsTheEndToTheLastByte() {
        assertEquals(List.of(new ByteRange(90, 99)), RangeHeader.parse("bytes=90-200", MAX).resolve(100));
        assertEquals(List.of(new ByteRange(90, 99)), RangeHeader.parse("bytes=90-", MAX).resolve(100));
        assertEquals(List.of(new ByteRange(99, 99)), RangeHeader.parse("bytes=99-99", MAX).resolve(100));
    }

    @Test
    void suffixLongerThanObjectSelectsWholeObject() {
        assertEquals(List.of(new ByteRange(0, 9)), RangeHeader.parse("bytes=-500", MAX).resolve(10));
        assertEquals(List.of(new ByteRange(7, 9)), RangeHeader.parse("bytes=-3", MAX).resolve(10));
    }

    @Test
    void zeroSuffixAndStartAtOrPastEndAreUnsatisfiable() {
        assertEquals(List.of(), RangeHeader.parse("bytes=-0", MAX).resolve(10));
        assertEquals(List.of(), RangeHeader.parse("bytes=10-", MAX).resolve(10));
        assertEquals(List.of(), RangeHeader.parse("bytes=10-20", MAX).resolve(10));
        // Only the unsatisfiable element is dropped.
        assertEquals(List.of(new ByteRange(0, 0)), RangeHeader.parse("bytes=10-20,0-0", MAX).resolve(10));
    }

    @Test
    void nothingIsSatisfiableInAnEmptyObject() {
        for (String h : List.of("bytes=0-", "bytes=0-0", "bytes=-1", "bytes=-0")) {
            assertEquals(List.of(), RangeHeader.parse(h, MAX).resolve(0), h);
        }
        assertNull(RangeSpec.closed(0, 5).resolve(0));
    }

    @Test
    void rangeSpecHeaderValuesForS3() {
        assertEquals("bytes=0-9", RangeSpec.closed(0, 9).toHeaderValue());
        assertEquals("bytes=7-", RangeSpec.openEnded(7).toHeaderValue());
        assertEquals("bytes=-42", RangeSpec.suffix(42).toHeaderValue());
        assertTrue(RangeSpec.suffix(0).isSuffix());
        assertFalse(RangeSpec.openEnded(0).isSuffix());
    }

    @Test
    void byteRangeValueMethods() {
        ByteRange r = new ByteRange(10, 19);
        assertEquals(10, r.length());
        assertEquals("bytes 10-19/100", r.contentRange(100));
        assertEquals("bytes=10-19", r.rangeHeader());
        assertThrows(IllegalArgumentException.class, () -> new ByteRange(-1, 3));
        assertThrows(IllegalArgumentException.class, () -> new ByteRange(5, 4));
        assertEquals(1, new ByteRange(0, 0).length());
    }

    @Test
    void singleFactory() {
        RangeHeader h = RangeHeader.single(RangeSpec.suffix(3));
        assertTrue(h.isPresent());
        assertEquals(List.of(new ByteRange(2, 4)), h.resolve(5));
    }
}
