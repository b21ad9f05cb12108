package dev.bitsbridge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * The help of every command as {@code bitsbridge ... --help} prints it (80 columns, as when the
 * output is not a terminal): every footer line, the examples above all, is printed whole on a
 * line of its own, so it can be pasted; and no URL, path, option or {@code name=value} in a
 * description is cut across lines.
 */
class HelpTextTest {

    /** A token a reader copies: a URL, an option, a path, a %VARIABLE%, a name=value. */
    private static final Pattern COPYABLE = Pattern.compile(".*(://|^--|/|%|=|\\?).*");

    private static List<CommandLine> all(CommandLine c) {
        List<CommandLine> out = new ArrayList<>();
        out.add(c);
        for (CommandLine sub : c.getSubcommands().values()) {
            // picocli's own help command is not ours to word
            if (sub.getCommandSpec().parent() == c.getCommandSpec()
                    && !(sub.getCommand() instanceof CommandLine.HelpCommand)) {
                out.addAll(all(sub));
            }
        }
        return out;
    }

    private static String help(List<String> args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = BitsBridgeCli.execute(args.toArray(new String[0]), Map.of(), new PrintWriter(out, true),
                new PrintWriter(err, true));
        assertEquals(0, code, args + ": " + err);
        return out.toString().replace("\r\n", "\n");
    }

    private static List<CommandLine> commands() {
        return all(BitsBridgeCli.commandLine(Map.of(), new PrintWriter(new StringWriter()),
                new PrintWriter(new StringWriter())));
    }

    private static List<String> helpArgs(CommandLine c) {
        String q = c.getCommandSpec().qualifiedName(" ").replaceFirst("^bitsbridge ?", "");
        List<String> args = new ArrayList<>(q.isEmpty() ? List.of() : Arrays.asList(q.split(" ")));
        args.add("--help");
        return args;
    }

    @Test
    void everyFooterLineIsPrintedWholeOnALineOfItsOwn() {
        int examples = 0;
        for (CommandLine c : commands()) {
            List<String> args = helpArgs(c);
            List<String> lines = help(args).lines().toList();
            for (String f : c.getCommandSpec().usageMessage().footer()) {
                for (String line : f.replace("%%", "%").split("%n")) {
                    if (line.isBlank()) {
                        continue;
                    }
                    assertTrue(lines.contains(line), args + ": the footer line\n" + line + "\nis not printed whole in:\n"
                            + String.join("\n", lines));
                    if (line.strip().startsWith("bitsbridge ") || line.contains(" bitsbridge ")) {
                        examples++;
                    } else {
                        assertTrue(line.length() <= 80, args + ": prose lines in a footer fit 80 columns: " + line);
                    }
                }
            }
        }
        assertTrue(examples >= 12, "examples found: " + examples);
    }

    /** serve's 50 options are listed below its usage line, not in it (picocli cut them mid-value). */
    @Test
    void serveSynopsisIsShort() {
        String help = help(List.of("serve", "--help"));
        assertTrue(help.startsWith("Usage: bitsbridge serve [OPTIONS]\n"), help);
        assertTrue(help(List.of("config", "show", "--help")).startsWith("Usage: bitsbridge config show [OPTIONS]\n"));
    }

    @Test
    void noUrlOptionOrPathInADescriptionIsCut() {
        List<String> cut = new ArrayList<>();
        for (CommandLine c : commands()) {
            List<String> args = helpArgs(c);
            String help = help(args);
            String joined = help.replaceAll("\\n\\s*", "");
            CommandSpec spec = c.getCommandSpec();
            List<String> texts = new ArrayList<>(Arrays.asList(spec.usageMessage().description()));
            for (OptionSpec o : spec.options()) {
                texts.addAll(Arrays.asList(o.description()));
            }
            for (CommandLine sub : c.getSubcommands().values()) {
                texts.add(sub.getCommandSpec().usageMessage().description().length == 0 ? ""
                        : sub.getCommandSpec().usageMessage().description()[0]); // the command list
            }
            for (PositionalParamSpec p : spec.positionalParameters()) {
                texts.addAll(Arrays.asList(p.description()));
            }
            for (String text : texts) {
                for (String token : text.replace("%%", "%").replace("%n", " ").split("\\s+")) {
                    if (token.contains("${") || !COPYABLE.matcher(token).matches()) {
                        continue;
                    }
                    assertTrue(joined.contains(token), args + ": not in the help as written: " + token);
                    if (!help.contains(token)) {
                        cut.add(args + ": " + token);
                    }
                }
            }
        }
        assertTrue(cut.isEmpty(), "cut across lines:\n" + String.join("\n", cut));
    }
}
