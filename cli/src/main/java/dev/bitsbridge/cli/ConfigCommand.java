package dev.bitsbridge.cli;

import dev.bitsbridge.proxy.config.ProxyConfig;
import java.io.PrintWriter;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/** {@code bitsbridge config}: configuration tools; {@code config show} prints what serve would use. */
@Command(name = "config", mixinStandardHelpOptions = true, versionProvider = ManifestVersionProvider.class,
        description = "Inspect the configuration.",
        subcommands = {ConfigCommand.Show.class, CommandLine.HelpCommand.class})
final class ConfigCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * {@code bitsbridge config show [serve options]}: the effective value of every serve option,
     * where it came from, secrets masked. The output is itself a valid config file.
     */
    @Command(name = "show", abbreviateSynopsis = true, description = "Print the effective serve configuration (secrets masked) and where each"
            + " value comes from: command line, BITSBRIDGE_* environment, config file, or default.",
            footerHeading = "%nExamples:%n",
            footer = {
                "  bitsbridge config show --config bitsbridge.conf",
                "  BITSBRIDGE_BUCKET=my-bucket bitsbridge config show --port 9000"})
    static final class Show extends ServeCommand {

        private static final Pattern SECRET_NAME = Pattern.compile("(?i).*(secret|token|password|credential|api-key).*");
        private static final String MASK = "****";

        @Override
        public Integer call() {
            ProxyConfig config = config(); // the same validation as serve: bad values exit 2
            BitsBridgeCli root = (BitsBridgeCli) spec.root().userObject();
            ParseResult parsed = spec.commandLine().getParseResult();
            PrintWriter out = spec.commandLine().getOut();
            out.println("# bitsbridge effective configuration for 'serve'");
            out.println("# precedence: command line > BITSBRIDGE_* environment > config file"
                    + (root.configFile.path() != null ? " (" + root.configFile.path() + ")" : "") + " > default");
            for (OptionSpec opt : spec.options()) {
                if (opt.usageHelp() || opt.versionHelp() || !opt.longestName().startsWith("--")) {
                    continue;
                }
                String key = ConfigFile.key(opt);
                String value;
                String source;
                OptionSpec matched = parsed.matchedOption(opt.longestName());
                if (matched != null) {
                    value = String.join(",", matched.stringValues().isEmpty() ? List.of("true") : matched.stringValues());
                    source = "command line";
                } else {
                    value = root.environment.defaultValue(opt);
                    source = root.environment.sets(opt) ? "environment " + EnvironmentDefaults.variable(opt.longestName())
                            : root.configFile.sets(opt) ? "config file " + root.configFile.where(opt) : "default";
                }
                if (value == null && opt.arity().max() == 0) {
                    value = "false";
                }
                if (value == null || value.isEmpty()) {
                    // Not set by any option source, but serve still has a value for it.
                    String[] derived = derived(key, config);
                    if (derived != null) {
                        value = derived[0];
                        source = derived[1];
                    }
                } else if (key.equals("io-threads") && value.equals("0")) {
                    source += ": one per processor, " + Runtime.getRuntime().availableProcessors() + " here";
                }
                if (value == null || value.isEmpty()) {
                    out.println("# " + key + " =    (not set)");
                } else {
                    out.println(key + " = " + mask(key, value) + "    # " + source);
                }
            }
            out.println("# resolved region: " + config.region());
            out.flush();
            return 0;
        }

        /** The effective value of an option no source sets, where serve derives one, with its origin. */
        private static String[] derived(String key, ProxyConfig config) {
            return switch (key) {
                case "ca-bundle" -> config.caBundle() == null ? null
                        : new String[] {config.caBundle().toString(), "environment AWS_CA_BUNDLE"};
                case "state-dir" -> config.stateDir() == null ? null
                        : new String[] {config.stateDir().toString(), "default ($HOME/.bitsbridge, %LOCALAPPDATA% on Windows)"};
                // A proxy from HTTPS_PROXY is shown without its credentials.
                case "upstream-proxy" -> config.network().upstreamProxy().https() == null ? null
                        : new String[] {config.network().upstreamProxy().https().uri().toString(),
                            "environment HTTPS_PROXY" + (config.network().upstreamProxy().https().user() != null
                                    ? ", with credentials" : "") + " (https upstreams; HTTP_PROXY for http ones)"};
                case "no-proxy" -> config.network().upstreamProxy().noProxy().isEmpty() ? null
                        : new String[] {String.join(",", config.network().upstreamProxy().noProxy()), "environment NO_PROXY"};
                default -> null;
            };
        }

        static String mask(String key, String value) {
            if (value.isEmpty() || value.equals("true") || value.equals("false")) {
                return value; // a switch (--require-token) holds no secret, and must stay readable
            }
            if (key.equals("url-vendor-header")) {
                List<String> masked = new ArrayList<>();
                for (String h : value.split(",")) {
                    int colon = h.indexOf(':');
                    masked.add(colon < 0 ? MASK : h.substring(0, colon + 1) + " " + MASK);
                }
                return String.join(",", masked);
            }
            if (key.equals("url-vendor") || key.equals("endpoint") || key.equals("upstream-proxy")) {
                return maskUrl(value);
            }
            return SECRET_NAME.matcher(key).matches() ? MASK : value;
        }

        /** A URL may carry a password (user:pass@) or a token in its query: keep scheme, host, path. */
        static String maskUrl(String url) {
            try {
                URI u = URI.create(url);
                StringBuilder sb = new StringBuilder();
                sb.append(u.getScheme()).append("://");
                if (u.getRawUserInfo() != null) {
                    sb.append(MASK).append('@');
                }
                sb.append(u.getHost());
                if (u.getPort() >= 0) {
                    sb.append(':').append(u.getPort());
                }
                if (u.getRawPath() != null) {
                    sb.append(u.getRawPath());
                }
                if (u.getRawQuery() != null) {
                    sb.append('?').append(MASK);
                }
                return sb.toString();
            } catch (IllegalArgumentException | NullPointerException e) {
                return url.toLowerCase(Locale.ROOT).startsWith("http") ? MASK : url;
            }
        }
    }
}
