package dev.bitsbridge.cli;

import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.UsageMessageSpec;

/**
 * How help is laid out, for every command: as wide as the terminal (picocli's auto width; 80
 * columns when not a terminal), and footers printed line by line as written, never re-wrapped.
 * Footers hold the examples: picocli wraps a long line wherever its line breaker allows, also
 * inside a URL ({@code http://files.} / {@code example.lan}) or between an option and its value,
 * and a wrapped example cannot be pasted. Prose lines in footers are written under 80 columns.
 */
final class HelpLayout {

    private HelpLayout() {
    }

    static void apply(CommandLine cmd) {
        cmd.setUsageHelpAutoWidth(true);
        applyFooter(cmd);
    }

    private static void applyFooter(CommandLine cmd) {
        Map<String, CommandLine.IHelpSectionRenderer> sections = cmd.getHelpSectionMap();
        sections.put(UsageMessageSpec.SECTION_KEY_FOOTER, help -> footer(help.commandSpec().usageMessage()));
        cmd.setHelpSectionMap(sections);
        for (CommandLine sub : cmd.getSubcommands().values()) {
            applyFooter(sub);
        }
    }

    /** The footer as written: {@code %n} is a line break and {@code %%} a percent sign, as in picocli. */
    static String footer(UsageMessageSpec usage) {
        StringBuilder sb = new StringBuilder();
        for (String line : usage.footer()) {
            sb.append(line.replace("%n", System.lineSeparator()).replace("%%", "%")).append(System.lineSeparator());
        }
        return sb.toString();
    }
}
