package dev.bitsbridge.cli;

import dev.bitsbridge.proxy.upstream.NettyTransport;
import io.netty.buffer.ByteBufAllocator;
import org.slf4j.LoggerFactory;

/**
 * Start-up work a {@code serve} needs anyway, done on a second thread while the main thread builds
 * and parses the command line (picocli, single-threaded, about half of the time before the port is
 * bound): logback's set-up, Netty's native transport and its buffer allocator. It only loads and
 * initialises classes the main thread would otherwise initialise itself a moment later, and reads
 * no option, so what the proxy does is the same whether or not it finished first; the JVM makes a
 * thread that needs a class being initialised wait for it.
 *
 * <p>{@code serve} waits for it ({@link #await()}) before its first use of logging: the
 * {@code --log-format}/{@code --log-level} options replace logback's set-up, which must be complete
 * by then (while SLF4J is still initialising it hands out stand-in loggers instead).
 *
 * <p>Threading: one daemon thread, started at most once from {@code main}; {@link #await()} from
 * any thread.
 */
final class Preload {

    private static volatile Thread thread;

    private Preload() {
    }

    /** Starts the preload when {@code args} run a {@code serve} that serves (not its help or version). */
    static void startFor(String[] args) {
        if (args.length == 0 || !args[0].equals("serve")) {
            return;
        }
        for (String a : args) {
            if (a.equals("-h") || a.equals("--help") || a.equals("-V") || a.equals("--version")) {
                return;
            }
        }
        Thread t = new Thread(Preload::run, "bitsbridge-preload");
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    /** The preload's thread, or null when none was started (tests). */
    static Thread thread() {
        return thread;
    }

    /** Returns once the preload (if one was started) has finished. */
    static void await() {
        Thread t = thread;
        if (t == null) {
            return;
        }
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void run() {
        try {
            LoggerFactory.getILoggerFactory();
            NettyTransport.best();
            ByteBufAllocator.DEFAULT.buffer(1).release();
        } catch (RuntimeException | LinkageError e) {
            // The main thread does the same work next and reports what fails, where it belongs.
        }
    }
}
