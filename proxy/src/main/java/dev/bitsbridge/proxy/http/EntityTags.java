package dev.bitsbridge.proxy.http;

import java.util.ArrayList;
import java.util.List;

/**
 * Entity-tag comparison for conditional requests (RFC 9110 §8.8.3). Tags are kept in their wire
 * form ({@code "abc"} or {@code W/"abc"}).
 */
public final class EntityTags {

    private EntityTags() {
    }

    /**
     * Splits a header value such as {@code "a", W/"b"} into tags. {@code *} yields a one-element
     * list holding {@code "*"}. Commas inside quotes do not split. Returns an empty list for a
     * value with no tag at all.
     */
    public static List<String> parseList(String value) {
        List<String> out = new ArrayList<>();
        if (value == null) {
            return out;
        }
        int i = 0;
        int n = value.length();
        while (i < n) {
            char c = value.charAt(i);
            if (c == ',' || c == ' ' || c == '\t') {
                i++;
                continue;
            }
            if (c == '*') {
                out.add("*");
                i++;
                continue;
            }
            int start = i;
            if (value.startsWith("W/", i)) {
                i += 2;
            }
            if (i < n && value.charAt(i) == '"') {
                int close = value.indexOf('"', i + 1);
                if (close < 0) {
                    break; // unterminated: ignore the rest
                }
                out.add(value.substring(start, close + 1));
                i = close + 1;
            } else {
                // Tolerate an unquoted tag (some clients send one) up to the next comma.
                int comma = value.indexOf(',', i);
                int end = comma < 0 ? n : comma;
                String bare = value.substring(start, end).trim();
                if (!bare.isEmpty()) {
                    out.add(bare.startsWith("W/") ? bare : '"' + bare + '"');
                }
                i = end;
            }
        }
        return out;
    }

    public static boolean isWeak(String tag) {
        return tag.startsWith("W/");
    }

    private static String opaque(String tag) {
        String t = isWeak(tag) ? tag.substring(2) : tag;
        if (t.length() >= 2 && t.charAt(0) == '"' && t.charAt(t.length() - 1) == '"') {
            return t.substring(1, t.length() - 1);
        }
        return t;
    }

    /** Strong comparison: both strong and the same opaque value. */
    public static boolean strongMatch(String a, String b) {
        return a != null && b != null && !isWeak(a) && !isWeak(b) && opaque(a).equals(opaque(b));
    }

    /** Weak comparison: the same opaque value, weakness ignored. */
    public static boolean weakMatch(String a, String b) {
        return a != null && b != null && opaque(a).equals(opaque(b));
    }

    /** Normalises an ETag from an upstream that may omit the quotes. */
    public static String quoted(String etag) {
        if (etag == null || etag.isEmpty()) {
            return null;
        }
        if (etag.startsWith("\"") || etag.startsWith("W/\"")) {
            return etag;
        }
        return '"' + etag + '"';
    }
}
