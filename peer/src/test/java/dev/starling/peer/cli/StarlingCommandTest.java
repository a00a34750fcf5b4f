package dev.starling.peer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class StarlingCommandTest {
    private final StringWriter err = new StringWriter();
    private final StringWriter out = new StringWriter();

    private int run(String... args) {
        CommandLine cli = StarlingCommand.commandLine(new PrintWriter(err, true));
        cli.setOut(new PrintWriter(out, true));
        return cli.execute(args);
    }

    @Test
    void shouldExitTwoWithOneLineOnUnknownSubcommand() {
        assertEquals(2, run("frobnicate"));
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
        assertTrue(err.toString().contains("frobnicate"), err.toString());
    }

    @Test
    void shouldExitTwoWithOneLineOnUnknownFlag() {
        assertEquals(2, run("--no-such-flag"));
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
        assertTrue(err.toString().contains("--no-such-flag"), err.toString());
    }

    @Test
    void shouldListSubcommandsInHelp() {
        assertEquals(0, run("--help"));
        assertTrue(out.toString().contains("demo"), out.toString());
    }

    @Test
    void shouldPrintVersion() {
        assertEquals(0, run("--version"));
        assertTrue(out.toString().startsWith("starling "), out.toString());
    }

    @Test
    void shouldReportUserErrorAsOneLineWithExitTwo() {
        assertEquals(2, run("demo", "--rounds", "0"));
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
        assertTrue(err.toString().startsWith("starling: --rounds must be at least 1"), err.toString());
    }

    @Test
    void shouldRefuseAMalformedManifestWithOneLine(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws java.io.IOException {
        java.nio.file.Path manifest = java.nio.file.Files.writeString(dir.resolve("run.toml"),
                "[model]\nlayers = \"x\"\n");
        assertEquals(2, run("coordinator", "--manifest", manifest.toString(), "--key", dir.resolve("k").toString()));
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
        assertTrue(err.toString().contains("[model] layers"), err.toString());
    }

    @Test
    void shouldWriteJsonResultOnOneLineInOrder() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("tokens_per_s", 1234.5);
        fields.put("name", "a \"quoted\"\nname");
        assertEquals("{\"tokens_per_s\":1234.5,\"name\":\"a \\\"quoted\\\"\\nname\"}", JsonResult.format(fields));
    }
}
