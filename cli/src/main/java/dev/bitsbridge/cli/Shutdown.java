package dev.bitsbridge.cli;

import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Runs a graceful stop on SIGTERM or Ctrl-C (SIGINT) and lets the command return normally, so the
 * process exits 0 after the drain rather than 143. Where signals cannot be intercepted, a shutdown
 * hook still drains (the exit code is then the JVM's).
 */
final class Shutdown {

    private static final Logger log = LoggerFactory.getLogger(Shutdown.class);

    private Shutdown() {
    }

    static void onTermination(Runnable stop) {
        AtomicBoolean once = new AtomicBoolean();
        Runnable guarded = () -> {
            if (once.compareAndSet(false, true)) {
                log.info("stopping: no new connections; letting transfers in flight finish");
                stop.run();
                log.info("stopped");
            }
        };
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                Signal.handle(new Signal(name), sig -> new Thread(guarded, "bitsbridge-stop").start());
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                // This platform has no such signal (Windows has no TERM): the hook below covers it.
            }
        }
        Runtime.getRuntime().addShutdownHook(new Thread(guarded, "bitsbridge-shutdown"));
    }
}
