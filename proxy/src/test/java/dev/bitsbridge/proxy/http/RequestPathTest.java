package dev.bitsbridge.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.bitsbridge.proxy.http.RequestPath.InvalidPathException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Strict single percent-decoding of request paths. */
class RequestPathTest {

    @Test
    void plainPathsPassThrough() throws Exception {
        assertEquals("/a/b/c.txt", RequestPath.decode("/a/b/c.txt"));
        assertEquals("/", RequestPath.decode("/"));
        assertEquals("", RequestPath.decode(""));
    }

    @Test
    void plusStaysAPlus() throws Exception {
        assertEquals("/a+b", RequestPath.decode("/a+b"));
        assertEquals("/a+b c", RequestPath.decode("/a+b%20c"));
    }

    @Test
    void decodesExactlyOnce() throws Exception {
        assertEquals("/a/b", RequestPath.decode("/a%2Fb"));
        assertEquals("/a/b", RequestPath.decode("/a%2fb"));
        assertEquals("/a%2Fb", RequestPath.decode("/a%252Fb"));
        assertEquals("/100%", RequestPath.decode("/100%25"));
    }

    @Test
    void decodesUtf8() throws Exception {
        assertEquals("/caf\u00e9", RequestPath.decode("/caf%C3%A9"));
        assertEquals("/\u65e5\u672c", RequestPath.decode("/%E6%97%A5%E6%9C%AC"));
        assertEquals("/\ud83d\ude00", RequestPath.decode("/%F0%9F%98%80"));
    }

    @Test
    void rawUtf8BytesOnTheRequestLineDecodeLikePercentEncodedOnes() throws Exception {
        // Netty hands the request line over as ISO-8859-1 chars, one per byte.
        String rawLatin1 = new String("/caf\u00e9".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                java.nio.charset.StandardCharsets.ISO_8859_1);
        assertEquals("/caf\u00e9", RequestPath.decode(rawLatin1));
        assertEquals("/caf\u00e9 x", RequestPath.decode(rawLatin1 + "%20x"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "/%zz",
        "/%4",
        "/%",
        "/a%2",
        "/%g0",
        "/%\uff14\uff11",       // fullwidth digits are not hex digits
        "/%C3",                 // truncated UTF-8 sequence
        "/%C0%AE",              // overlong '.'
        "/%C0%AF",              // overlong '/'
        "/%E0%80%AF",           // overlong '/', three bytes
        "/%ED%A0%80",           // UTF-16 surrogate
        "/%FF",
        "/%80",
        "/%00",
        "/a%0Ab",
        "/a%0Db",
        "/a%7F",
        "/a%09b",
        "/a\u0000b",
        "/a\nb",
        "/a\u007fb",
        "/\u00e9",              // a lone Latin-1 byte is not UTF-8
        "/\u0100",              // not a byte at all
    })
    void refused(String raw) {
        assertThrows(InvalidPathException.class, () -> RequestPath.decode(raw));
    }

    @Test
    void rawPathStripsQueryAndFragment() throws Exception {
        assertEquals("/a/b", RequestPath.rawPath("/a/b?x=1#f"));
        assertEquals("/a/b", RequestPath.rawPath("/a/b#f?x"));
        assertEquals("/a%20b", RequestPath.rawPath("/a%20b?"));
        assertEquals("/k", RequestPath.rawPath("http://127.0.0.1:8080/k?q"));
        assertEquals("/", RequestPath.rawPath("http://127.0.0.1:8080"));
        assertThrows(InvalidPathException.class, () -> RequestPath.rawPath("*"));
        assertThrows(InvalidPathException.class, () -> RequestPath.rawPath("a/b"));
    }

    @Test
    void rawQuery() {
        assertEquals("x=1&y=2", RequestPath.rawQuery("/a?x=1&y=2"));
        assertEquals("x=1", RequestPath.rawQuery("/a?x=1#frag"));
        assertEquals("", RequestPath.rawQuery("/a"));
        assertEquals("", RequestPath.rawQuery("/a?"));
    }
}
