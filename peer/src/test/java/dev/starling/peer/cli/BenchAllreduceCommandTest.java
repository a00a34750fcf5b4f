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
 * The all-reduce bench end to end on three in-JVM peers: the command itself checks every peer's result against
 * the exact mean and that all hold the same bytes (it fails otherwise); here the emulated link must never be
 * beaten (goodput at most the link rate; no lower bound, which would depend on the machine).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class BenchAllreduceCommandTest {
    @Test
    void shouldAllReduceCorrectlyOnLoopbackAndNeverFasterThanTheEmulatedLink() throws Exception {
        JsonNode result = CliJson.run("bench", "allreduce", "--peers", "3", "--sizes-mb", "0.2", "--link",
                "none;40mbit,5ms", "--chunk-elements", "4096");
        JsonNode runs = result.get("runs");
        assertEquals(2, runs.size(), result.toString());
        double share = runs.get(1).get("share").asDouble();
        assertTrue(share > 0 && share <= 1.0, "goodput share " + share + " must not beat the link");
    }

    @Test
    void shouldRejectTooFewPeersWithOneLine() {
        StringWriter err = new StringWriter();
        int code = StarlingCommand.commandLine(new PrintWriter(err, true)).execute("bench", "allreduce", "--peers",
                "1");
        assertEquals(2, code);
        assertTrue(err.toString().contains("--peers"), err.toString());
    }
}
