package dev.bitsbridge.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;

/**
 * Configures logback from the {@code --log-format} and {@code --log-level} options, replacing
 * what {@link LogConfigurator} set up at start: one console appender on stderr (stdout carries the
 * command's own output), human-readable or one JSON object per line. Libraries that are chatty at
 * INFO stay at WARN unless the level asked for is DEBUG or finer.
 */
final class LogSetup {

    enum Format {
        TEXT,
        JSON
    }

    static final String PATTERN = "%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level %logger{20} - %msg%n";
    private static final String[] QUIET = {"org.gaul", "org.eclipse.jetty", "software.amazon", "io.netty"};

    private LogSetup() {
    }

    /**
     * Applies the options. The defaults (text, info) change nothing: {@link LogConfigurator}
     * already set them up at start, or an operator's {@code -Dlogback.configurationFile} (or a
     * test suite's logback-test.xml) is in charge and stays so.
     */
    static void configure(Format format, String level) {
        Level lvl = Level.toLevel(level, null);
        if (lvl == null) {
            throw new IllegalArgumentException("--log-level must be one of error, warn, info, debug, trace, not " + level);
        }
        if (format == Format.TEXT && lvl == Level.INFO) {
            return;
        }
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx) {
            ctx.reset();
            install(ctx, format, lvl);
        } // else another SLF4J binding: leave it alone
    }

    /**
     * One console appender on stderr with the format's encoder; libraries one step quieter. The
     * access log ({@code bitsbridge.access}) goes to stderr too, in the same format, but through a
     * 64 KiB buffer flushed every 200 ms and at exit instead of one write(2) per line: under load it
     * logs thousands of lines a second, and the per-line write with the console's lock was the
     * largest item of the proxy's own CPU per 64 KiB range in the benchmark's profile. Its lines can
     * therefore appear up to 200 ms after the other log lines around them.
     */
    static void install(LoggerContext ctx, Format format, Level lvl) {
        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        console.setContext(ctx);
        console.setName("STDERR");
        console.setTarget("System.err");
        console.setEncoder(encoder(ctx, format));
        console.start();
        Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(lvl);
        root.addAppender(console);
        Level libraries = lvl.isGreaterOrEqual(Level.INFO) ? Level.WARN : lvl;
        for (String name : QUIET) {
            ctx.getLogger(name).setLevel(libraries);
        }
        OutputStreamAppender<ILoggingEvent> access = new OutputStreamAppender<>();
        access.setContext(ctx);
        access.setName("ACCESS");
        access.setEncoder(encoder(ctx, format));
        access.setImmediateFlush(false);
        access.setOutputStream(ACCESS_STREAM);
        access.start();
        Logger accessLogger = ctx.getLogger("bitsbridge.access");
        accessLogger.addAppender(access);
        accessLogger.setAdditive(false);
    }

    /** Stderr behind a buffer; BufferedOutputStream's methods are synchronized, so the flusher may flush. */
    private static final BufferedOutputStream ACCESS_STREAM = new BufferedOutputStream(
            new FileOutputStream(FileDescriptor.err), 64 * 1024) {
        @Override
        public void close() throws IOException {
            flush(); // a reset of the logging context must not close stderr
        }
    };

    static {
        ScheduledExecutorService flusher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bitsbridge-log-flush");
            t.setDaemon(true);
            return t;
        });
        flusher.scheduleWithFixedDelay(LogSetup::flushAccessLog, 200, 200, TimeUnit.MILLISECONDS);
        Runtime.getRuntime().addShutdownHook(new Thread(LogSetup::flushAccessLog, "bitsbridge-log-flush-at-exit"));
    }

    static void flushAccessLog() {
        try {
            ACCESS_STREAM.flush();
        } catch (IOException e) {
            // stderr is gone: nothing to report it on
        }
    }

    private static Encoder<ILoggingEvent> encoder(LoggerContext ctx, Format format) {
        Encoder<ILoggingEvent> encoder;
        if (format == Format.JSON) {
            encoder = new JsonLineEncoder();
        } else {
            PatternLayoutEncoder p = new PatternLayoutEncoder();
            p.setPattern(PATTERN);
            encoder = p;
        }
        encoder.setContext(ctx);
        encoder.start();
        return encoder;
    }
}
