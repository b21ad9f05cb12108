package dev.bitsbridge.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * The launcher's logging, set up in code rather than from an XML file: human-readable lines on
 * stderr, INFO for bitsbridge (and its access log, logger {@code bitsbridge.access}), WARN for the
 * libraries. Parsing logback.xml costs about half a second of start-up (an XML parser and
 * Joran's rule machinery); this costs next to nothing. A {@code -Dlogback.configurationFile=...}
 * still wins, for operators who want their own configuration, and so does a test suite's
 * logback-test.xml.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_HIGH_PRIORITY)
public final class LogConfigurator extends ContextAwareBase implements Configurator {

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (System.getProperty("logback.configurationFile") != null
                || LogConfigurator.class.getClassLoader().getResource("logback-test.xml") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY; // an operator's file, or the test suite's
        }
        LogSetup.install(context, LogSetup.Format.TEXT, Level.INFO);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}
