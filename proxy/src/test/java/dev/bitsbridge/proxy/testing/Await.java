package dev.bitsbridge.proxy.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Condition waits with a deadline, instead of sleeping a fixed time and then asserting: a test
 * passes as soon as the condition holds (fast on a fast machine) and fails with what it waited for
 * once the deadline passes (never because the code is merely slow under load). Hand-written rather
 * than Awaitility: two methods cover every wait in the suite, and the failure names the last value
 * seen.
 *
 * <p>A negative check ("X did not happen") needs a positive signal to wait for first (the request
 * finished, the connection closed), then asserts once; never a sleep.
 */
public final class Await {

    /** A condition that may do I/O (an HTTP request, a file listing). */
    @FunctionalInterface
    public interface Condition {
        boolean holds() throws Exception;
    }

    /** A value that may need I/O to read. */
    @FunctionalInterface
    public interface Probe<T> {
        T read() throws Exception;
    }

    private Await() {
    }

    /** Returns once {@code condition} holds; fails with {@code what} after {@code within}. */
    public static void until(Duration within, Condition condition, Supplier<String> what) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        long pause = 5;
        while (!condition.holds()) {
            if (System.nanoTime() - deadline > 0) {
                fail("not within " + within.toMillis() + " ms: " + what.get());
            }
            Thread.sleep(pause); // polling interval, bounded by the deadline
            pause = Math.min(100, pause * 2);
        }
    }

    /**
     * Reads {@code probe} until {@code accept} takes its value, and returns that value (for further
     * assertions); fails with the last value read after {@code within}.
     */
    public static <T> T value(Duration within, Probe<T> probe, Predicate<T> accept, String what) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        long pause = 5;
        while (true) {
            T v = probe.read();
            if (accept.test(v)) {
                return v;
            }
            if (System.nanoTime() - deadline > 0) {
                fail("not within " + within.toMillis() + " ms: " + what + "; last seen: " + v);
            }
            Thread.sleep(pause); // polling interval, bounded by the deadline
            pause = Math.min(100, pause * 2);
        }
    }
}
