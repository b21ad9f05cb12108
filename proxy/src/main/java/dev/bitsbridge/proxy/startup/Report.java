package dev.bitsbridge.proxy.startup;

import java.util.List;
import java.util.Locale;

/** The results of all start-up checks, in the order they ran. Immutable. */
public record Report(List<CheckResult> results) {

    public Report {
        results = List.copyOf(results);
    }

    /** The first failure, or null when the proxy can start. */
    public CheckResult firstFailure() {
        return results.stream().filter(CheckResult::failed).findFirst().orElse(null);
    }

    public boolean passed() {
        return firstFailure() == null;
    }

    /** The summary, one line per check: {@code "  ok    credentials   found (environment)"}. */
    public List<String> lines() {
        return results.stream().map(r -> String.format(Locale.ROOT, "  %-5s %-13s %s",
                switch (r.status()) {
                    case OK -> "ok";
                    case WARN -> "warn";
                    case FAIL -> "FAIL";
                    case SKIPPED -> "-";
                }, r.name(), r.detail())).toList();
    }
}
