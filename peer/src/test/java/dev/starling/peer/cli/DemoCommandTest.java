package dev.starling.peer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The quick start's second command, end to end: real libp2p nodes on loopback TCP, real training. */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DemoCommandTest {
    @Test
    void shouldTrainWithIdenticalStateOnEveryPeerAndFallingValidationLoss() throws Exception {
        JsonNode result = CliJson.run("demo", "--rounds", "3", "--peers", "2", "--json", "--dashboard",
                "127.0.0.1:0");
        assertEquals(3, result.get("rounds").asInt());
        assertEquals(3, result.get("rounds_identical").asInt(), "θ_global must be bit-identical on every peer");
        assertTrue(result.get("val_loss_end").asDouble() < result.get("val_loss_start").asDouble() - 0.3,
                result.toString());
        assertTrue(result.get("bytes_sent_per_peer").asLong() > 0);
    }
}
