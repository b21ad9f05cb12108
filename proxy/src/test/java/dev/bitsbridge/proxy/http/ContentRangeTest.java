package dev.bitsbridge.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Content-Range as S3 sends it (RFC 9110 §14.4): satisfied and unsatisfied forms. */
class ContentRangeTest {

    @Test
    void satisfiedRange() {
        assertEquals(new ContentRange(new ByteRange(0, 99), 1000), ContentRange.parse("bytes 0-99/1000"));
        assertEquals(new ContentRange(new ByteRange(999, 999), 1000), ContentRange.parse("BYTES 999-999/1000"));
        assertEquals(new ContentRange(new ByteRange(0, 9), 10), ContentRange.parse("  bytes 0-9/10 "));
        assertEquals(new ByteRange(5, 6), ByteRange.parseContentRange("bytes 5-6/7"));
    }

    @Test
    void unsatisfiedFormCarriesTheSize() {
        ContentRange cr = ContentRange.parse("bytes */1000");
        assertEquals(new ContentRange(null, 1000), cr);
        assertNull(ByteRange.parseContentRange("bytes */1000"));
        assertEquals(new ContentRange(null, 0), ContentRange.parse("bytes */0"));
    }

    @Test
    void roundTripsWhatTheProxyWrites() {
        ByteRange r = new ByteRange(123, 4567);
        assertEquals(new ContentRange(r, 10_000), ContentRange.parse(r.contentRange(10_000)));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "bytes",
        "bytes ",
        "bytes 0-99",
        "bytes 0-99/*",          // unknown total: the proxy needs a size
        "bytes */*",
        "bytes 0-99/99",         // last >= total
        "bytes 10-5/100",        // reversed
        "bytes -5/100",
        "bytes 5-/100",
        "bytes 0-99/-1",
        "bytes 0-99/1e3",
        "bytes=0-99/1000",
        "items 0-99/1000",
        "bytes 0-99/99999999999999999999999", // overflowing total is not saturated here
        "bytes 0 - 99/1000",
    })
    void rejected(String value) {
        assertNull(ContentRange.parse(value));
    }

    @Test
    void nullIsNull() {
        assertNull(ContentRange.parse(null));
    }
}
