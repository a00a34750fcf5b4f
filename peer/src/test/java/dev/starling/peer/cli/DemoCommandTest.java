package dev.starling.peer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The quick start's second command, end to end: real libp2p nodes on loopback TCP, real training. */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DemoCommandTest {
    @Test
    void shouldTrainWithIdenticalStateOnEveryPeerAndFallingValidationLoss() throws Exception {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        PrintStream saved = System.out;
        int code;
        StringWriter err = new StringWriter();
        try {
            System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
            code = StarlingCommand.commandLine(new PrintWriter(err, true))
                    .execute("demo", "--rounds", "3", "--peers", "2", "--json", "--dashboard", "127.0.0.1:0");
        } finally {
            System.setOut(saved);
        }
        assertEquals(0, code, err.toString());
        String[] lines = stdout.toString(StandardCharsets.UTF_8).strip().split("\n");
        JsonNode result = new ObjectMapper().readTree(lines[lines.length - 1]);
        assertEquals(3, result.get("rounds").asInt());
        assertEquals(3, result.get("rounds_identical").asInt(), "θ_global must be bit-identical on every peer");
        assertTrue(result.get("val_loss_end").asDouble() < result.get("val_loss_start").asDouble() - 0.3,
                result.toString());
        assertTrue(result.get("bytes_sent_per_peer").asLong() > 0);
    }
}
