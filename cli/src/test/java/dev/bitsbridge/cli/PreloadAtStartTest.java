package dev.bitsbridge.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import ch.qos.logback.classic.LoggerContext;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The preload main starts for a 'serve': only for one that serves (not its help or version, nor
 * other commands), and once awaited, logging is logback's, fully set up, which is what serve's
 * --log-format and --log-level rely on when they replace it.
 */
class PreloadAtStartTest {

    @Test
    void onlyAServeThatServesPreloadsAndAwaitLeavesLoggingSetUp() {
        Preload.startFor(new String[] {"serve", "--help"});
        Preload.startFor(new String[] {"serve", "--bucket", "b", "-V"});
        Preload.startFor(new String[] {"share", "a.bin"});
        Preload.startFor(new String[0]);
        assertNull(Preload.thread());
        Preload.await(); // nothing started: returns at once

        Preload.startFor(new String[] {"serve", "--bucket", "b", "--port", "0"});
        Thread t = Preload.thread();
        assertNotNull(t);
        Preload.await();
        assertFalse(t.isAlive());
        assertInstanceOf(LoggerContext.class, LoggerFactory.getILoggerFactory());
    }
}
