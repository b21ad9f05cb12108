package dev.bitsbridge.proxy.server;

/**
 * What the access log (logger {@code bitsbridge.access}, one line per request) attaches to its
 * lines. By default each line also carries its fields as SLF4J key-value pairs, for a JSON
 * encoder or an operator's own layout; a launcher that installs a plain text layout, which never
 * prints them, turns them off and saves building them for every request.
 *
 * <p>Thread-safe: one volatile flag, set at start-up (or when logging is reconfigured).
 */
public final class AccessLog {

    private static volatile boolean keyValues = true;

    private AccessLog() {
    }

    /** Whether access-log lines carry their fields as key-value pairs (true unless turned off). */
    public static boolean keyValues() {
        return keyValues;
    }

    /** @param on false when the installed layout prints only the message */
    public static void keyValues(boolean on) {
        keyValues = on;
    }
}
