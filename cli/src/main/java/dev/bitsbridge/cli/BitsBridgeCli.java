package dev.bitsbridge.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code bitsbridge} launcher. It only maps options (and {@code BITSBRIDGE_*} environment
 * variables) onto the proxy's configuration and starts things; all behaviour lives in the proxy
 * library. Bad options exit with status 2 and one line on stderr, never a stack trace.
 */
@Command(name = "bitsbridge",
        mixinStandardHelpOptions = true,
        versionProvider = ManifestVersionProvider.class,
        description = "A local HTTP proxy that lets BITS jobs, installers and download tools fetch S3 objects "
                + "through plain http://localhost URLs.")
public final class BitsBridgeCli implements Runnable {

    /** The subcommands, in the order help lists them (added in {@link #commandLine}, see there). */
    private static final List<Class<?>> SUBCOMMANDS = List.of(ServeCommand.class, DoctorCommand.class, DemoCommand.class,
            ShareCommand.class, BenchCommand.class, ConfigCommand.class, CompletionCommand.class,
            CommandLine.HelpCommand.class);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Where option values come from besides the command line (config show reports it). */
    EnvironmentDefaults environment;
    ConfigFile configFile = ConfigFile.none();

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        jvmDefaults();
        Preload.startFor(args);
        System.exit(execute(args, System.getenv(), new PrintWriter(System.out, true),
                new PrintWriter(System.err, true)));
    }

    /**
     * System properties the launcher sets before Netty or the JDK read them, each only when the
     * operator has not set it ({@code -D} in {@code JAVA_OPTS} wins).
     */
    static void jvmDefaults() {
        // Netty samples buffer allocations for leak reports by default, recording a stack trace
        // each time: 1.4% of the CPU per 64 KiB range in the benchmark. The tests run with leak
        // detection on (paranoid where it matters); the launcher turns it off unless asked.
        defaultProperty("io.netty.leakDetection.level", "disabled");
        // Netty's buffer allocator declares JFR events and asks whether they are enabled on its
        // first allocation, which on Java 17 sets up JFR's event metadata (about 50 classes and
        // generated event handlers that class-data sharing cannot archive) on the event loop while
        // the first request waits, whether or not a recording runs. Nothing reads those events
        // unless an operator records them: -Dio.netty.jfr.enabled=true brings them back.
        defaultProperty("io.netty.jfr.enabled", "false");
        // The JDK refuses Basic authentication to a proxy for CONNECT tunnels unless told otherwise;
        // --upstream-proxy http://user:pass@host takes Basic credentials, for the URL vendor's and the
        // upload client's JDK connections as for the Netty path (which sends them itself).
        defaultProperty("jdk.http.auth.tunneling.disabledSchemes", "");
    }

    private static void defaultProperty(String name, String value) {
        if (System.getProperty(name) == null) {
            System.setProperty(name, value);
        }
    }

    /** Runs the launcher with an explicit environment and streams (tests use this). */
    public static int execute(String[] args, Map<String, String> env, PrintWriter out, PrintWriter err) {
        CommandLine cmd;
        try {
            cmd = commandLine(env, out, err, args);
        } catch (IOException | IllegalArgumentException e) {
            err.println("bitsbridge: " + firstLine(e instanceof IOException
                    ? "cannot read the config file: " + describe(e) : e.getMessage()));
            return 2;
        }
        return cmd.execute(args);
    }

    private static void setEnvironment(CommandLine cmd, Map<String, String> env) {
        if (cmd.getCommand() instanceof ServeCommand serve) {
            serve.env = env;
        }
        for (CommandLine sub : cmd.getSubcommands().values()) {
            setEnvironment(sub, env);
        }
    }

    static CommandLine commandLine(Map<String, String> env, PrintWriter out, PrintWriter err) {
        try {
            return commandLine(env, out, err, new String[0]);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * The launcher for {@code args}: the config file they (or BITSBRIDGE_CONFIG) name is read here,
     * before parsing, because picocli asks the default-value providers while it parses.
     */
    static CommandLine commandLine(Map<String, String> env, PrintWriter out, PrintWriter err, String[] args)
            throws IOException {
        BitsBridgeCli root = new BitsBridgeCli();
        Path file = ConfigFile.locate(args, env);
        if (file != null) {
            root.configFile = ConfigFile.load(file);
        }
        root.environment = new EnvironmentDefaults(env, root.configFile);
        CommandLine cmd = new CommandLine(root);
        // picocli builds a command's model (reflection over every option, arg group and converter)
        // when the command is added: for all subcommands that was over half of the time building the
        // command line took, and three of them carry serve's 60 options (serve, doctor, config
        // show). A plain 'serve' needs only its own; with a config file all are built, since the
        // file's names are checked against every command's options.
        boolean serveOnly = file == null && args.length > 0 && args[0].equals("serve");
        for (Class<?> sub : serveOnly ? List.<Class<?>>of(ServeCommand.class) : SUBCOMMANDS) {
            cmd.addSubcommand(sub);
        }
        // serve (and config show, a serve) read AWS_CA_BUNDLE from the same environment as the options.
        for (CommandLine sub : cmd.getSubcommands().values()) {
            setEnvironment(sub, env);
        }
        if (file != null) {
            Set<String> known = new TreeSet<>();
            for (CommandLine sub : cmd.getSubcommands().values()) {
                sub.getCommandSpec().options().forEach(o -> known.add(ConfigFile.key(o)));
            }
            root.configFile.checkNames(known);
        }
        cmd.setDefaultValueProvider(root.environment);
        HelpLayout.apply(cmd);
        cmd.setOut(out);
        cmd.setErr(err);
        cmd.setCaseInsensitiveEnumValuesAllowed(true);
        cmd.setParameterExceptionHandler((ex, a) -> {
            ex.getCommandLine().getErr().println("bitsbridge: " + root.fromFile(ex, a) + firstLine(ex.getMessage()));
            return 2;
        });
        cmd.setExecutionExceptionHandler((ex, c, parseResult) -> {
            if (ex instanceof CommandLine.ParameterException pe) {
                c.getErr().println("bitsbridge: " + root.fromFile(pe, args) + firstLine(pe.getMessage()));
                return 2;
            }
            c.getErr().println("bitsbridge: " + firstLine(describe(ex)));
            return 1;
        });
        return cmd;
    }

    private static final java.util.regex.Pattern OPTION = java.util.regex.Pattern.compile("--[a-z][a-z0-9-]*");

    /**
     * {@code "FILE line N: "} when the bad value came from the config file: the option the error is
     * about (picocli's, else the first option the message names) is not on the command line nor
     * in the environment, and the file sets it. Empty otherwise.
     */
    String fromFile(CommandLine.ParameterException ex, String[] args) {
        if (configFile.path() == null) {
            return "";
        }
        CommandLine.Model.CommandSpec spec = ex.getCommandLine().getCommandSpec();
        List<CommandLine.Model.OptionSpec> about = new ArrayList<>();
        if (ex.getArgSpec() instanceof CommandLine.Model.OptionSpec o) {
            about.add(o);
        }
        java.util.regex.Matcher m = OPTION.matcher(ex.getMessage() == null ? "" : ex.getMessage());
        while (m.find()) {
            CommandLine.Model.OptionSpec o = spec.findOption(m.group());
            if (o != null) {
                about.add(o);
            }
        }
        for (CommandLine.Model.OptionSpec o : about) {
            String name = o.longestName();
            boolean onCommandLine = java.util.Arrays.stream(args).anyMatch(x -> x.equals(name) || x.startsWith(name + "="));
            String where = configFile.where(o);
            if (!onCommandLine && !environment.sets(o) && where != null) {
                return where + ": ";
            }
        }
        return "";
    }

    static String describe(Throwable t) {
        // File-system errors carry only the path as their message ("bitsbridge: /x/y" says nothing).
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof java.nio.file.FileSystemException fe) {
                String what = fe instanceof java.nio.file.FileAlreadyExistsException
                        ? "it exists and is not a folder"
                        : fe instanceof java.nio.file.AccessDeniedException ? "permission denied"
                        : fe instanceof java.nio.file.NoSuchFileException ? "no such file or folder"
                        : fe instanceof java.nio.file.NotDirectoryException ? "it is not a folder"
                        : fe.getReason() != null ? fe.getReason() : fe.getClass().getSimpleName();
                return "cannot use " + fe.getFile() + ": " + what;
            }
        }
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = t.getMessage() == null ? root.getMessage() : t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }

    static String firstLine(String s) {
        if (s == null) {
            return "error";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
