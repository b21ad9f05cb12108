package dev.bitsbridge.cli;

import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Every option can come from an environment variable {@code BITSBRIDGE_<OPTION>}: dashes become
 * underscores, letters upper case ({@code --upstream-timeout} → {@code BITSBRIDGE_UPSTREAM_TIMEOUT}).
 * The command line wins over the environment, the environment over the config file (the
 * {@code fallback}, see {@link ConfigFile}), the config file over built-in defaults. Repeatable
 * options take a comma-separated list.
 */
final class EnvironmentDefaults implements IDefaultValueProvider {

    private final Map<String, String> env;
    private final ConfigFile fallback;

    EnvironmentDefaults(Map<String, String> env) {
        this(env, null);
    }

    /** @param fallback asked for options the environment does not set (null: the built-in default) */
    EnvironmentDefaults(Map<String, String> env, ConfigFile fallback) {
        this.env = env;
        this.fallback = fallback;
    }

    /** Whether the environment sets this option. */
    boolean sets(OptionSpec opt) {
        String v = env.get(variable(opt.longestName()));
        return v != null && !v.isEmpty();
    }

    static String variable(String longName) {
        int start = 0; // past the leading dashes (asked for every option at every start: no regex)
        while (start < longName.length() && longName.charAt(start) == '-') {
            start++;
        }
        return "BITSBRIDGE_" + longName.substring(start).replace('-', '_').toUpperCase(Locale.ROOT);
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (arg instanceof OptionSpec opt && opt.longestName().startsWith("--")) {
            String v = env.get(variable(opt.longestName()));
            if (v != null && !v.isEmpty()) {
                return v;
            }
        }
        return fallback != null ? fallback.defaultValue(arg) : arg.defaultValue();
    }
}
