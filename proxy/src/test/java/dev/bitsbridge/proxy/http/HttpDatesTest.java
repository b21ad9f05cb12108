package dev.bitsbridge.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** HTTP-date in the three forms RFC 9110 §5.6.7 requires a recipient to accept. */
class HttpDatesTest {

    private static final Instant RFC_EXAMPLE = Instant.parse("1994-11-06T08:49:37Z");

    @Test
    void imfFixdate() {
        assertEquals(RFC_EXAMPLE, HttpDates.parse("Sun, 06 Nov 1994 08:49:37 GMT"));
        assertEquals(RFC_EXAMPLE, HttpDates.parse("  Sun, 06 Nov 1994 08:49:37 GMT  "));
    }

    @Test
    void rfc850WithTwoDigitYearInThePast() {
        // The obsolete form the RFC itself uses as its example: 94 means 1994, not 2094.
        assertEquals(RFC_EXAMPLE, HttpDates.parse("Sunday, 06-Nov-94 08:49:37 GMT"));
        // More than 50 years ahead means the previous century (this stays true until 2035).
        assertEquals(Instant.parse("1985-01-01T00:00:00Z"), HttpDates.parse("Tuesday, 01-Jan-85 00:00:00 GMT"));
        assertEquals(Instant.parse("2021-03-01T12:00:00Z"), HttpDates.parse("Monday, 01-Mar-21 12:00:00 GMT"));
    }

    @Test
    void asctime() {
        assertEquals(RFC_EXAMPLE, HttpDates.parse("Sun Nov  6 08:49:37 1994"));
        assertEquals(Instant.parse("1994-11-16T08:49:37Z"), HttpDates.parse("Wed Nov 16 08:49:37 1994"));
    }

    @Test
    void formatIsImfFixdateAndRoundTrips() {
        assertEquals("Sun, 06 Nov 1994 08:49:37 GMT", HttpDates.format(RFC_EXAMPLE));
        assertEquals("Thu, 01 Jan 1970 00:00:00 GMT", HttpDates.format(Instant.EPOCH));
        Instant t = Instant.parse("2024-02-29T23:59:59Z");
        assertEquals(t, HttpDates.parse(HttpDates.format(t)));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "yesterday",
        "0",
        "-1",
        "Sun, 06 Nov 1994",
        "Sun, 32 Nov 1994 08:49:37 GMT",
        "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 25:49:37 GMT",
        "Mon, 06 Nov 1994 08:49:37 GMT",   // weekday contradicts the date
        "1994-11-06T08:49:37Z",
        "Sunday, 06-Nov-1994 08:49:37 GMT",
        "Sun Nov 6 08:49:37",
    })
    void invalidDatesAreNull(String value) {
        assertNull(HttpDates.parse(value));
    }

    @Test
    void nullAndOverlongAreNull() {
        assertNull(HttpDates.parse(null));
        assertNull(HttpDates.parse("Sun, 06 Nov 1994 08:49:37 GMT" + " ".repeat(60)));
    }

    /** The positional IMF-fixdate reader agrees with java.time's RFC 1123 parser, also on near misses. */
    @org.junit.jupiter.api.Test
    void positionalReaderAgreesWithTheFormatter() {
        java.util.Random rnd = new java.util.Random(11);
        String chars = "0123456789 ,:GMTSunMonFebX-";
        for (int i = 0; i < 20000; i++) {
            java.time.Instant t = java.time.Instant.ofEpochSecond(rnd.nextLong() % 5_000_000_000L + 2_000_000_000L);
            String s = HttpDates.format(t);
            if (i % 2 == 1) {
                char[] c = s.toCharArray();
                c[rnd.nextInt(c.length)] = chars.charAt(rnd.nextInt(chars.length()));
                s = new String(c);
            }
            java.time.Instant slow;
            try {
                slow = java.time.ZonedDateTime.parse(s, java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            } catch (java.time.format.DateTimeParseException e) {
                slow = null;
            }
            java.time.Instant fast = HttpDates.imfFixdate(s);
            if (fast != null) {
                org.junit.jupiter.api.Assertions.assertEquals(slow, fast, s);
            }
            if (i % 2 == 0) {
                org.junit.jupiter.api.Assertions.assertEquals(t, fast, s);
                org.junit.jupiter.api.Assertions.assertEquals(t, HttpDates.parse(s), s);
            }
        }
    }
}
