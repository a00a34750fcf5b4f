package dev.starling.peer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;

/** Runs a command in this JVM with standard output captured, for the commands that end with one JSON line. */
final class CliJson {
    private CliJson() {
    }

    /**
     * Runs the command, asserts it exited 0 (the failure message is its error output) and parses its last line.
     *
     * @param args the command line
     * @return the final JSON line
     * @throws IOException if the last line is not JSON
     */
    static JsonNode run(String... args) throws IOException {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        PrintStream saved = System.out;
        StringWriter err = new StringWriter();
        int code;
        try {
            System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
            code = StarlingCommand.commandLine(new PrintWriter(err, true)).execute(args);
        } finally {
            System.setOut(saved);
        }
        assertEquals(0, code, err.toString());
        String[] lines = stdout.toString(StandardCharsets.UTF_8).strip().split("\n");
        return new ObjectMapper().readTree(lines[lines.length - 1]);
    }
}
