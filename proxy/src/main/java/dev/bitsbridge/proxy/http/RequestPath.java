package dev.bitsbridge.proxy.http;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The path of a request URI, percent-decoded exactly once (RFC 3986 §2.1) into UTF-8 text.
 *
 * <p>Decoding is strict: {@code +} is a plus sign (not a space, which is a query-string rule), a
 * {@code %} not followed by two hex digits, bytes that are not UTF-8, and control characters
 * (including NUL) are all refused with {@link InvalidPathException}. The query string and fragment
 * are not part of the path.
 */
public final class RequestPath {

    private RequestPath() {
    }

    /** Thrown for a path that cannot be decoded; its message is safe to show to the client. */
    public static final class InvalidPathException extends Exception {
        private static final long serialVersionUID = 1L;

        public InvalidPathException(String message) {
            super(message, null, false, false);
        }
    }

    /** The raw (still encoded) path of a request-target: origin-form, or absolute-form's path. */
    public static String rawPath(String uri) throws InvalidPathException {
        String u = uri;
        if (!u.startsWith("/")) {
            // absolute-form (http://host/path), sent to proxies; take the path part.
            int scheme = u.indexOf("://");
            if (scheme < 0) {
                throw new InvalidPathException("request target must be a path");
            }
            int slash = u.indexOf('/', scheme + 3);
            u = slash < 0 ? "/" : u.substring(slash);
        }
        int end = u.length();
        int q = u.indexOf('?');
        if (q >= 0) {
            end = q;
        }
        int f = u.indexOf('#');
        if (f >= 0 && f < end) {
            end = f;
        }
        return u.substring(0, end);
    }

    /** The raw query string (after {@code ?}), or the empty string. */
    public static String rawQuery(String uri) {
        int q = uri.indexOf('?');
        if (q < 0) {
            return "";
        }
        int f = uri.indexOf('#', q);
        return f < 0 ? uri.substring(q + 1) : uri.substring(q + 1, f);
    }

    /** Percent-decodes {@code raw} once; see the class comment for what is refused. */
    public static String decode(String raw) throws InvalidPathException {
        int n = raw.length();
        if (raw.indexOf('%') < 0 && isAscii(raw)) {
            // Only pure ASCII may skip decoding: raw non-ASCII bytes must go through the UTF-8
            // check below, or "/café" sent unencoded became the key "/cafÃ©" and a lone 0xE9 passed.
            checkCharacters(raw);
            return raw;
        }
        ByteBuffer bytes = ByteBuffer.allocate(n * 3);
        for (int i = 0; i < n; i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                if (i + 2 >= n) {
                    throw new InvalidPathException("invalid percent-encoding in path");
                }
                // hexDigit, not Character.digit: that also accepts fullwidth and other Unicode digits.
                int hi = hexDigit(raw.charAt(i + 1));
                int lo = hexDigit(raw.charAt(i + 2));
                if (hi < 0 || lo < 0) {
                    throw new InvalidPathException("invalid percent-encoding in path");
                }
                bytes.put((byte) ((hi << 4) | lo));
                i += 2;
            } else if (c < 0x80) {
                bytes.put((byte) c);
            } else {
                // A raw non-ASCII character on the request line (Netty decodes it as ISO-8859-1):
                // keep its byte; UTF-8 validation below decides.
                if (c > 0xff) {
                    throw new InvalidPathException("invalid character in path");
                }
                bytes.put((byte) c);
            }
        }
        bytes.flip();
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        String decoded;
        try {
            CharBuffer chars = decoder.decode(bytes);
            decoded = chars.toString();
        } catch (CharacterCodingException e) {
            throw new InvalidPathException("path is not valid UTF-8 after percent-decoding");
        }
        checkCharacters(decoded);
        return decoded;
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    private static int hexDigit(char c) {
        return c < 0x80 ? Character.digit(c, 16) : -1;
    }

    private static void checkCharacters(String s) throws InvalidPathException {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw new InvalidPathException("control character in path");
            }
        }
    }
}
