package dev.bitsbridge.cli;

import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Every option can come from an environment variable {@code BITSBRIDGE_<OPTION>}: dashes become
 * underscores, letters upper case ({@code --upstream-timeout} → {@code BITSBRIDGE_UPSTREAM_TIMEOUT}).
 * The command line wins over the environment, the environment over built-in defaults. Repeatable
 * options take a comma-separated list.
 */
final class EnvironmentDefaults implements IDefaultValueProvider {

    private final Map<String, String> env;

    EnvironmentDefaults(Map<String, String> env) {
        this.env = env;
    }

    static String variable(String longName) {
        return "BITSBRIDGE_" + longName.replaceFirst("^-+", "").replace('-', '_').toUpperCase(Locale.ROOT);
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (arg instanceof OptionSpec opt && opt.longestName().startsWith("--")) {
            String v = env.get(variable(opt.longestName()));
            if (v != null && !v.isEmpty()) {
                return v;
            }
        }
        return arg.defaultValue();
    }
}
