package dev.bitsbridge.proxy.http;

import static dev.bitsbridge.proxy.http.Preconditions.Outcome.NOT_MODIFIED;
import static dev.bitsbridge.proxy.http.Preconditions.Outcome.PRECONDITION_FAILED;
import static dev.bitsbridge.proxy.http.Preconditions.Outcome.PROCEED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.http.Preconditions.Outcome;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** RFC 9110 §13.2.2 evaluation order and §13.1.5 If-Range, against one object version. */
class PreconditionsTest {

    private static final String ETAG = "\"abc123\"";
    private static final Instant LM = Instant.parse("2024-05-01T10:00:00Z");
    private static final String LM_DATE = HttpDates.format(LM);
    private static final String BEFORE = HttpDates.format(LM.minusSeconds(1));
    private static final String AFTER = HttpDates.format(LM.plusSeconds(1));

    private static Outcome eval(String im, String inm, String ims, String ius, String ums) {
        return Preconditions.of(im, inm, ims, ius, ums, null).evaluate(ETAG, LM);
    }

    private static boolean range(String ifRange) {
        return Preconditions.of(null, null, null, null, null, ifRange).rangeApplies(ETAG, LM);
    }

    @Test
    void noHeadersProceedAndAreEmpty() {
        Preconditions p = Preconditions.of(null, null, null, null, null, null);
        assertTrue(p.isEmpty());
        assertEquals(PROCEED, p.evaluate(ETAG, LM));
        assertTrue(p.rangeApplies(ETAG, LM));
        assertTrue(Preconditions.NONE.isEmpty());
        assertFalse(Preconditions.of(null, null, null, null, null, "x").isEmpty());
    }

    @Test
    void ifMatchUsesStrongComparison() {
        assertEquals(PROCEED, eval(ETAG, null, null, null, null));
        assertEquals(PROCEED, eval("\"other\", " + ETAG, null, null, null, null));
        assertEquals(PRECONDITION_FAILED, eval("\"other\"", null, null, null, null));
        assertEquals(PRECONDITION_FAILED, eval("W/" + ETAG, null, null, null, null));
        assertEquals(PROCEED, eval("*", null, null, null, null));
        // A weak current ETag never matches If-Match.
        assertEquals(PRECONDITION_FAILED, Preconditions.of("W/\"abc123\"", null, null, null, null, null)
                .evaluate("W/\"abc123\"", LM));
        // An If-Match with no tags in it matches nothing.
        assertEquals(PRECONDITION_FAILED, eval("", null, null, null, null));
    }

    @Test
    void ifUnmodifiedSince() {
        assertEquals(PROCEED, eval(null, null, null, LM_DATE, null));
        assertEquals(PROCEED, eval(null, null, null, AFTER, null));
        assertEquals(PRECONDITION_FAILED, eval(null, null, null, BEFORE, null));
    }

    @Test
    void unlessModifiedSinceIsTreatedAsIfUnmodifiedSince() {
        assertEquals(PRECONDITION_FAILED, eval(null, null, null, null, BEFORE));
        assertEquals(PROCEED, eval(null, null, null, null, LM_DATE));
        // A valid If-Unmodified-Since takes precedence over the legacy header.
        assertEquals(PROCEED, eval(null, null, null, AFTER, BEFORE));
        // An invalid If-Unmodified-Since falls back to it.
        assertEquals(PRECONDITION_FAILED, eval(null, null, null, "garbage", BEFORE));
    }

    @Test
    void ifMatchWinsOverIfUnmodifiedSince() {
        // Step 2 is only evaluated when If-Match is absent.
        assertEquals(PROCEED, eval(ETAG, null, null, BEFORE, null));
        assertEquals(PRECONDITION_FAILED, eval("\"other\"", null, null, AFTER, null));
    }

    @Test
    void ifNoneMatchUsesWeakComparison() {
        assertEquals(NOT_MODIFIED, eval(null, ETAG, null, null, null));
        assertEquals(NOT_MODIFIED, eval(null, "W/" + ETAG, null, null, null));
        assertEquals(NOT_MODIFIED, eval(null, "\"x\", W/\"abc123\"", null, null, null));
        assertEquals(NOT_MODIFIED, eval(null, "*", null, null, null));
        assertEquals(PROCEED, eval(null, "\"other\"", null, null, null));
        assertEquals(NOT_MODIFIED, Preconditions.of(null, ETAG, null, null, null, null).evaluate("W/\"abc123\"", LM));
    }

    @Test
    void ifModifiedSince() {
        assertEquals(NOT_MODIFIED, eval(null, null, LM_DATE, null, null));
        assertEquals(NOT_MODIFIED, eval(null, null, AFTER, null, null));
        assertEquals(PROCEED, eval(null, null, BEFORE, null, null));
    }

    @Test
    void ifNoneMatchWinsOverIfModifiedSince() {
        assertEquals(PROCEED, eval(null, "\"other\"", AFTER, null, null));
        assertEquals(NOT_MODIFIED, eval(null, ETAG, BEFORE, null, null));
    }

    @Test
    void failedPreconditionWinsOverNotModified() {
        assertEquals(PRECONDITION_FAILED, eval("\"other\"", ETAG, null, null, null));
        assertEquals(PRECONDITION_FAILED, eval(null, null, AFTER, BEFORE, null));
    }

    @Test
    void invalidDatesAreIgnored() {
        assertEquals(PROCEED, eval(null, null, "not a date", null, null));
        assertEquals(PROCEED, eval(null, null, null, "not a date", null));
        assertEquals(PROCEED, eval(null, null, null, null, "0"));
        assertTrue(Preconditions.of(null, null, "bad", "bad", "bad", null).isEmpty());
    }

    @Test
    void missingLastModifiedSkipsDateConditions() {
        assertEquals(PROCEED, Preconditions.of(null, null, AFTER, null, null, null).evaluate(ETAG, null));
        assertEquals(PROCEED, Preconditions.of(null, null, null, BEFORE, null, null).evaluate(ETAG, null));
    }

    @Test
    void ifRangeEtagMustMatchStrongly() {
        assertTrue(range(ETAG));
        assertTrue(range("  " + ETAG + " "));
        assertFalse(range("\"other\""));
        assertFalse(range("W/" + ETAG));
        assertFalse(Preconditions.of(null, null, null, null, null, ETAG).rangeApplies("W/\"abc123\"", LM));
        assertFalse(Preconditions.of(null, null, null, null, null, ETAG).rangeApplies(null, LM));
    }

    @Test
    void ifRangeDateMustEqualLastModifiedExactly() {
        assertTrue(range(LM_DATE));
        assertFalse(range(AFTER));
        assertFalse(range(BEFORE));
        assertFalse(Preconditions.of(null, null, null, null, null, LM_DATE).rangeApplies(ETAG, null));
    }

    @Test
    void unparseableIfRangeDisablesTheRange() {
        assertFalse(range("yesterday"));
        assertFalse(range(""));
    }
}
