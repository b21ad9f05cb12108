package dev.bitsbridge.proxy.vending;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class LruCacheTest {

    @Test
    void holdsAtMostItsCapacityDroppingTheLeastRecentlyUsed() {
        LruCache<String, Integer> c = new LruCache<>(3);
        for (int i = 0; i < 10_000; i++) {
            c.put("GET key-" + i, i);
        }
        assertEquals(3, c.size(), "a client walking keys cannot grow it");
        assertEquals(9_999, c.get("GET key-9999"));
        c.get("GET key-9997"); // used: now the most recent
        c.put("GET new", -1);
        assertNull(c.get("GET key-9998"), "the least recently used went first");
        assertEquals(9_997, c.get("GET key-9997"));
    }
}
