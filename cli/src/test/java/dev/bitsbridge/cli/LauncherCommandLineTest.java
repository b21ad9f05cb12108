package dev.bitsbridge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Which commands the launcher builds: a plain {@code serve} builds only its own model (picocli's
 * reflection over the other commands' options was most of the launcher's start-up), everything
 * else, and a {@code serve} with a config file, the whole tree, so help, completion and the config
 * file's name check see every command.
 */
class LauncherCommandLineTest {

    private static final List<String> ALL = List.of("serve", "doctor", "demo", "share", "bench", "config",
            "completion", "help");

    @TempDir
    Path tmp;

    private static CommandLine build(Map<String, String> env, String... args) throws Exception {
        return BitsBridgeCli.commandLine(env, new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()),
                args);
    }

    @Test
    void aPlainServeBuildsOnlyServe() throws Exception {
        CommandLine cmd = build(Map.of(), "serve", "--bucket", "b", "--port", "0");
        assertEquals(List.of("serve"), List.copyOf(cmd.getSubcommands().keySet()));
        // The serve model is the full one: every option, and the environment as a source of values.
        CommandLine serve = cmd.getSubcommands().get("serve");
        assertTrue(serve.getCommandSpec().options().size() > 50, "serve options");
        CommandLine fromEnv = build(Map.of("BITSBRIDGE_BUCKET", "from-env"), "serve");
        fromEnv.parseArgs("serve");
        assertEquals("from-env", ((ServeCommand) fromEnv.getSubcommands().get("serve").getCommand()).upstream.bucket);
    }

    @Test
    void otherCommandsAndNoCommandBuildTheWholeTreeInHelpOrder() throws Exception {
        assertEquals(ALL, List.copyOf(build(Map.of()).getSubcommands().keySet()));
        assertEquals(ALL, List.copyOf(build(Map.of(), "share", "a.bin").getSubcommands().keySet()));
        assertEquals(ALL, List.copyOf(build(Map.of(), "--help").getSubcommands().keySet()));
    }

    @Test
    void aServeWithAConfigFileStillAcceptsOtherCommandsOptionsInIt() throws Exception {
        Path conf = tmp.resolve("bitsbridge.conf");
        Files.writeString(conf, "bucket = b\nexpires = 1h\n"); // expires is share's
        CommandLine cmd = build(Map.of(), "serve", "--config", conf.toString());
        assertEquals(ALL, List.copyOf(cmd.getSubcommands().keySet()));
        StringWriter err = new StringWriter();
        int exit = BitsBridgeCli.execute(new String[] {"serve", "--config", conf.toString(), "--port", "abc"},
                Map.of(), new PrintWriter(new StringWriter()), new PrintWriter(err, true));
        // The file is accepted; the bad port is what is refused, in one line.
        assertEquals(2, exit, err.toString());
        assertTrue(err.toString().contains("--port"), err.toString());
        assertTrue(!err.toString().contains("unknown option"), err.toString());
    }
}
