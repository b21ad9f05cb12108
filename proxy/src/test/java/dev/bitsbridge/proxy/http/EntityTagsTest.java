package dev.bitsbridge.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Entity-tag lists and the strong/weak comparison functions of RFC 9110 §8.8.3.2. */
class EntityTagsTest {

    @Test
    void parsesQuotedWeakAndStarTags() {
        assertEquals(List.of("\"a\"", "W/\"b\"", "\"c\""), EntityTags.parseList("\"a\", W/\"b\",\"c\""));
        assertEquals(List.of("*"), EntityTags.parseList("*"));
        assertEquals(List.of(), EntityTags.parseList(""));
        assertEquals(List.of(), EntityTags.parseList(" , ,"));
        assertEquals(List.of(), EntityTags.parseList(null));
    }

    @Test
    void commaInsideQuotesDoesNotSplit() {
        assertEquals(List.of("\"a,b\"", "\"c\""), EntityTags.parseList("\"a,b\", \"c\""));
    }

    @Test
    void unterminatedTagEndsTheList() {
        assertEquals(List.of("\"a\""), EntityTags.parseList("\"a\", \"b"));
    }

    @Test
    void unquotedTagsAreTolerated() {
        assertEquals(List.of("\"abc\"", "\"def\""), EntityTags.parseList("abc, def"));
    }

    @Test
    void strongComparison() {
        assertTrue(EntityTags.strongMatch("\"1\"", "\"1\""));
        assertFalse(EntityTags.strongMatch("W/\"1\"", "W/\"1\""));
        assertFalse(EntityTags.strongMatch("W/\"1\"", "\"1\""));
        assertFalse(EntityTags.strongMatch("\"1\"", "W/\"1\""));
        assertFalse(EntityTags.strongMatch("\"1\"", "\"2\""));
        assertFalse(EntityTags.strongMatch(null, "\"1\""));
        assertFalse(EntityTags.strongMatch("\"1\"", null));
    }

    @Test
    void weakComparison() {
        assertTrue(EntityTags.weakMatch("W/\"1\"", "W/\"1\""));
        assertTrue(EntityTags.weakMatch("W/\"1\"", "\"1\""));
        assertTrue(EntityTags.weakMatch("\"1\"", "W/\"1\""));
        assertTrue(EntityTags.weakMatch("\"1\"", "\"1\""));
        assertFalse(EntityTags.weakMatch("W/\"1\"", "W/\"2\""));
        assertFalse(EntityTags.weakMatch(null, null));
    }

    @Test
    void quotingUpstreamTags() {
        assertEquals("\"abc\"", EntityTags.quoted("abc"));
        assertEquals("\"abc\"", EntityTags.quoted("\"abc\""));
        assertEquals("W/\"abc\"", EntityTags.quoted("W/\"abc\""));
        assertNull(EntityTags.quoted(""));
        assertNull(EntityTags.quoted(null));
        assertTrue(EntityTags.isWeak("W/\"x\""));
        assertFalse(EntityTags.isWeak("\"x\""));
    }
}
