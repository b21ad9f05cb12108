package dev.bitsbridge.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.rolling.FixedWindowRollingPolicy;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.SizeBasedTriggeringPolicy;
import ch.qos.logback.core.util.FileSize;
import java.nio.file.Path;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import dev.bitsbridge.proxy.server.AccessLog;
import org.slf4j.LoggerFactory;

/**
 * Configures logback from the {@code --log-format} and {@code --log-level} options, replacing
 * what {@link LogConfigurator} set up at start: one console appender on stderr (stdout carries the
 * command's own output), human-readable or one JSON object per line, or a rotating file. Libraries
 * that are chatty at INFO stay at WARN (INFO when DEBUG or finer is asked for).
 */
final class LogSetup {

    enum Format {
        TEXT,
        JSON
    }

    static final String PATTERN = "%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level %logger{20} - %msg%n";
    private static final String[] QUIET = {"org.gaul", "org.eclipse.jetty", "software.amazon", "io.netty", "io.micrometer"};

    private LogSetup() {
    }

    /**
     * Applies the options. The defaults (text, info) change nothing: {@link LogConfigurator}
     * already set them up at start, or an operator's {@code -Dlogback.configurationFile} (or a
     * test suite's logback-test.xml) is in charge and stays so.
     */
    static void configure(Format format, String level) {
        configure(format, level, null);
    }

    /** As {@link #configure(Format, String)}, and with {@code file} set, logs go to that file only. */
    static void configure(Format format, String level, LogFile file) {
        Level lvl = Level.toLevel(level, null);
        if (lvl == null) {
            throw new IllegalArgumentException("--log-level must be one of error, warn, info, debug, trace, not " + level);
        }
        if (format == Format.TEXT && lvl == Level.INFO && file == null) {
            return;
        }
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx) {
            ctx.reset();
            if (file == null) {
                install(ctx, format, lvl);
            } else {
                installFile(ctx, format, lvl, file);
            }
        } // else another SLF4J binding: leave it alone
    }

    /**
     * A log file with size-based rotation: {@code path} grows to {@code maxSize}, then becomes
     * {@code path.1} (the older ones shift to {@code .2} ... {@code .keep}, the oldest is deleted).
     * What a Windows service needs, since its stderr goes nowhere.
     */
    record LogFile(Path path, long maxSize, int keep) {
    }

    /**
     * Every log line, access log included, to one rotating file. Written through logback's buffer
     * and flushed every 200 ms (and at exit) rather than once per line, for the same reason as the
     * access log on stderr; a line therefore reaches the file up to 200 ms after it was logged.
     */
    static void installFile(LoggerContext ctx, Format format, Level lvl, LogFile file) {
        Path p = file.path().toAbsolutePath();
        FlushableFileAppender appender = new FlushableFileAppender();
        appender.setContext(ctx);
        appender.setName("FILE");
        appender.setFile(p.toString());
        appender.setEncoder(encoder(ctx, format));
        appender.setImmediateFlush(false);
        FixedWindowRollingPolicy rolling = new FixedWindowRollingPolicy();
        rolling.setContext(ctx);
        rolling.setParent(appender);
        rolling.setFileNamePattern(p + ".%i");
        rolling.setMinIndex(1);
        rolling.setMaxIndex(Math.max(1, file.keep()));
        rolling.start();
        SizeBasedTriggeringPolicy<ILoggingEvent> trigger = new SizeBasedTriggeringPolicy<>();
        trigger.setContext(ctx);
        trigger.setMaxFileSize(new FileSize(file.maxSize()));
        // logback looks at the file's size at most once a minute by default: a burst of access
        // lines could overshoot the limit many times over. Half a second costs one stat(2).
        trigger.setCheckIncrement(ch.qos.logback.core.util.Duration.buildByMilliseconds(500));
        trigger.start();
        appender.setRollingPolicy(rolling);
        appender.setTriggeringPolicy(trigger);
        appender.start();
        if (!appender.isStarted()) {
            throw new IllegalArgumentException("--log-file " + file.path() + " cannot be written");
        }
        levels(ctx, lvl).addAppender(appender);
        fileAppender = appender;
    }

    /** The rotating file appender when logging to a file, flushed with the access log. */
    private static volatile FlushableFileAppender fileAppender;

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
        Logger root = levels(ctx, lvl);
        root.addAppender(console);
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

    /**
     * The level asked for applies to bitsbridge; the libraries stay at WARN, or INFO when DEBUG or
     * TRACE is asked for. Their own debug output is not what an operator tracing a request wants:
     * Netty alone logs its platform probes with stack traces (hundreds of lines at start). An
     * operator's {@code -Dlogback.configurationFile} can still open them up.
     *
     * @return the root logger
     */
    private static Logger levels(LoggerContext ctx, Level lvl) {
        Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(lvl);
        Level libraries = lvl.isGreaterOrEqual(Level.INFO) ? Level.WARN : Level.INFO;
        for (String name : QUIET) {
            ctx.getLogger(name).setLevel(libraries);
        }
        return root;
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
        FlushableFileAppender file = fileAppender;
        if (file != null && file.isStarted()) {
            file.flush();
        }
    }

    /** logback's rolling appender with a flush that takes its stream lock (a rollover swaps the stream). */
    static final class FlushableFileAppender extends RollingFileAppender<ILoggingEvent> {
        void flush() {
            streamWriteLock.lock();
            try {
                java.io.OutputStream out = getOutputStream();
                if (out != null) {
                    out.flush();
                }
            } catch (IOException e) {
                // the file went away (disk full, deleted): logback reports its own write errors
            } finally {
                streamWriteLock.unlock();
            }
        }
    }

    private static Encoder<ILoggingEvent> encoder(LoggerContext ctx, Format format) {
        // The text pattern prints the message only: the access log need not attach its fields.
        AccessLog.keyValues(format == Format.JSON);
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
