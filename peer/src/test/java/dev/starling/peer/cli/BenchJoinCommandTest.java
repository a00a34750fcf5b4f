package dev.starling.peer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The join bench end to end on a small state: the command itself compares the downloaded bytes with the original
 * (it fails otherwise); here the dead and the lying source must be excluded and the joiner must never beat its
 * emulated downlink (no lower bound on speed, which would depend on the machine).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class BenchJoinCommandTest {
    @Test
    void shouldCompleteFromHonestSourcesWhenOneDiesAndOneLiesAndNeverBeatTheDownlink() throws Exception {
        JsonNode result = CliJson.run("bench", "join", "--params", "200000", "--sources", "3", "--link", "20mbit,5ms",
                "--chunk-kb", "64");
        JsonNode runs = result.get("scenarios");
        assertEquals(3, runs.size(), result.toString());
        for (JsonNode run : runs) {
            assertTrue(run.get("verified").asBoolean(), run.toString());
            assertTrue(run.get("ratio").asDouble() >= 1.0, "the joiner beat its downlink: " + run);
        }
        assertEquals(0, runs.get(0).get("excluded").size(), runs.get(0).toString());
        assertTrue(runs.get(1).get("excluded").has("source 0"), runs.get(1).toString());
        assertTrue(runs.get(2).get("excluded").get("source 2").asText().contains("does not match"),
                runs.get(2).toString());
    }

    @Test
    void shouldRejectAKillScenarioWithOneSourceWithOneLine() {
        StringWriter err = new StringWriter();
        int code = StarlingCommand.commandLine(new PrintWriter(err, true)).execute("bench", "join", "--sources",
                "1", "--scenarios", "kill");
        assertEquals(2, code);
        assertTrue(err.toString().contains("--sources"), err.toString());
    }
}
