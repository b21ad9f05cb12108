package dev.bitsbridge.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
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

    /** One console appender on stderr with the format's encoder; libraries one step quieter. */
    static void install(LoggerContext ctx, Format format, Level lvl) {
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
        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        console.setContext(ctx);
        console.setName("STDERR");
        console.setTarget("System.err");
        console.setEncoder(encoder);
        console.start();
        Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(lvl);
        root.addAppender(console);
        Level libraries = lvl.isGreaterOrEqual(Level.INFO) ? Level.WARN : lvl;
        for (String name : QUIET) {
            ctx.getLogger(name).setLevel(libraries);
        }
    }
}
