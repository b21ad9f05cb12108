package dev.bitsbridge.cli;

import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.startup.CheckResult;
import dev.bitsbridge.proxy.startup.Report;
import dev.bitsbridge.proxy.startup.StartupChecks;
import java.io.PrintWriter;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

/**
 * Runs the proxy's start-up checks ({@link StartupChecks}) for {@code serve} and {@code doctor}
 * and prints them: the summary on stdout, one line per check, and the first failure once more on
 * stderr as the one line to act on. The checks themselves live in the library.
 */
final class StartupSummary {

    private StartupSummary() {
    }

    /** @return whether the proxy can start (no check failed) */
    static boolean passes(ProxyConfig config, AwsCredentialsProvider provider, PrintWriter out, PrintWriter err) {
        Report report = new StartupChecks(config, provider).run();
        out.println("checks:");
        report.lines().forEach(out::println);
        out.flush();
        CheckResult failed = report.firstFailure();
        if (failed != null) {
            err.println("bitsbridge: " + failed.name() + ": " + failed.detail());
            err.flush();
            return false;
        }
        return true;
    }
}
