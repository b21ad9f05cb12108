package dev.bitsbridge.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The {@code --config FILE} (or {@code BITSBRIDGE_CONFIG}) file: one {@code option = value} per
 * line, named like the long options without the dashes ({@code upstream-timeout = 2m});
 * {@code #} starts a comment line, and {@code " # "} a comment after a value (so
 * {@code bitsbridge config show}'s output reads back); repeatable options take a comma-separated list; flags take
 * {@code true} or {@code false}. It is the last source before the built-in defaults: the command
 * line and the environment both win over it. An unknown name is an error (a typo would otherwise
 * be silently ignored), and so is an option set twice. A bad value is reported with the file and
 * line it came from ({@link #where}).
 *
 * <p>The file's path is known before picocli parses (see {@link #locate}), because picocli asks
 * for default values while parsing.
 */
final class ConfigFile implements IDefaultValueProvider {

    private static final java.util.regex.Pattern TRAILING_COMMENT = java.util.regex.Pattern.compile("\\s+#\\s.*$");

    private final Path path;
    private final Map<String, String> values;
    private final Map<String, Integer> lines;

    private ConfigFile(Path path, Map<String, String> values, Map<String, Integer> lines) {
        this.path = path;
        this.values = values;
        this.lines = lines;
    }

    /** No file: every option falls through to its built-in default. */
    static ConfigFile none() {
        return new ConfigFile(null, Map.of(), Map.of());
    }

    Path path() {
        return path;
    }

    /** The file named by {@code --config FILE} / {@code --config=FILE} in args, else by BITSBRIDGE_CONFIG. */
    static Path locate(String[] args, Map<String, String> env) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--")) {
                break;
            }
            if (args[i].equals("--config") && i + 1 < args.length) {
                return Path.of(args[i + 1]);
            }
            if (args[i].startsWith("--config=")) {
                return Path.of(args[i].substring("--config=".length()));
            }
        }
        String v = env.get("BITSBRIDGE_CONFIG");
        return v == null || v.isEmpty() ? null : Path.of(v);
    }

    static ConfigFile load(Path path) throws IOException {
        Map<String, String> values = new LinkedHashMap<>();
        Map<String, Integer> lines = new LinkedHashMap<>();
        List<String> all = Files.readAllLines(path, StandardCharsets.UTF_8);
        for (int i = 0; i < all.size(); i++) {
            String line = all.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException(path + " line " + (i + 1) + ": expected 'option = value'");
            }
            String key = line.substring(0, eq).strip().replaceFirst("^-+", "").replace('_', '-').toLowerCase(java.util.Locale.ROOT);
            String value = unquote(TRAILING_COMMENT.matcher(line.substring(eq + 1)).replaceFirst("").strip());
            Integer first = lines.get(key);
            if (first != null) {
                // Which one wins would be a guess for whoever reads the file: refuse, and say where.
                throw new IllegalArgumentException(path + " line " + (i + 1) + ": '" + key + "' is already set on line "
                        + first + "; set each option once (a repeatable option takes a comma-separated list)");
            }
            values.put(key, value);
            lines.put(key, i + 1);
        }
        return new ConfigFile(path, values, lines);
    }

    private static String unquote(String v) {
        if (v.length() >= 2 && (v.startsWith("\"") && v.endsWith("\"") || v.startsWith("'") && v.endsWith("'"))) {
            return v.substring(1, v.length() - 1);
        }
        return v;
    }

    /** Throws if the file names an option that {@code known} (long names without dashes) lacks. */
    void checkNames(Set<String> known) {
        for (Map.Entry<String, String> e : values.entrySet()) {
            if (!known.contains(e.getKey())) {
                throw new IllegalArgumentException(path + " line " + lines.get(e.getKey()) + ": unknown option '"
                        + e.getKey() + "'");
            }
        }
    }

    static String key(OptionSpec opt) {
        String name = opt.longestName();
        int start = 0; // past the leading dashes (asked for every option at every start: no regex)
        while (start < name.length() && name.charAt(start) == '-') {
            start++;
        }
        return name.substring(start);
    }

    boolean sets(OptionSpec opt) {
        return values.containsKey(key(opt));
    }

    /** {@code FILE line N} where this option is set, or null when the file does not set it. */
    String where(OptionSpec opt) {
        Integer line = lines.get(key(opt));
        return line == null ? null : path + " line " + line;
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (arg instanceof OptionSpec opt && opt.longestName().startsWith("--")) {
            String v = values.get(key(opt));
            if (v != null) {
                return v;
            }
        }
        return arg.defaultValue();
    }
}
