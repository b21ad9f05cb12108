package dev.bitsbridge.proxy.vending;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A map that holds at most {@code capacity} entries, dropping the least recently used first: the
 * vendor's URL cache is keyed by whatever keys clients ask for, so without a bound a client that
 * walks many keys would grow it for as long as the proxy runs.
 *
 * <p>Thread-safe (every method holds the map's lock; entries are small and calls are short).
 */
final class LruCache<K, V> {

    private final LinkedHashMap<K, V> map;

    LruCache(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive");
        }
        this.map = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > capacity;
            }
        };
    }

    synchronized V get(K key) {
        return map.get(key);
    }

    synchronized void put(K key, V value) {
        map.put(key, value);
    }

    synchronized int size() {
        return map.size();
    }
}
