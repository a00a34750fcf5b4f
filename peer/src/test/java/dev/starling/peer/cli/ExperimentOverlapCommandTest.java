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
 * Blocking DiLoCo and CO2 over the real mesh (loopback TCP with emulated 5 ms links), end to end: every round ends
 * with bit-identical θ_global on every peer in both modes, and CO2's one-round-late updates still train. No timing
 * is asserted (utilization depends on the machine).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ExperimentOverlapCommandTest {
    @Test
    void shouldRunBlockingAndOverlappedRoundsWithIdenticalStateOnEveryPeer() throws Exception {
        JsonNode result = CliJson.run("experiment", "overlap", "--peers", "2", "--rounds", "3", "--inner-steps", "4",
                "--link", "0,5ms", "--channels", "16");
        assertEquals(3, result.get("rounds_identical_blocking").asInt(), result.toString());
        assertEquals(3, result.get("rounds_identical_co2").asInt(), "θ_global must be bit-identical with CO2 too");
        double start = Math.log(65); // a uniform guess over the character vocabulary
        assertTrue(result.get("val_loss_co2").asDouble() < start, result.toString());
        assertTrue(result.get("utilization").asDouble() > 0 && result.get("utilization").asDouble() <= 1.01,
                result.toString());
        JsonNode boundaries = result.get("co2_boundaries");
        // the non-leader's training thread passed one boundary per round up to round 3's (which applies round 2)
        assertEquals("0 of 3", boundaries.get("boundaries_that_waited").asText().replaceFirst("^\\d+", "0"),
                boundaries.toString());
        double idle = boundaries.get("wait_share").asDouble() + boundaries.get("boundary_work_share").asDouble();
        assertTrue(idle >= 0 && idle <= 1, boundaries.toString());
        // a peer trains on instead of waiting, but never beyond 2H per round
        double steps = boundaries.get("inner_steps_per_round").asDouble();
        assertTrue(steps >= 4 && steps <= 8, boundaries.toString());
    }

    @Test
    void shouldRejectABadLinkSpecWithOneLine() {
        StringWriter err = new StringWriter();
        int code = StarlingCommand.commandLine(new PrintWriter(err, true)).execute("experiment", "overlap", "--link",
                "fast,50ms");
        assertEquals(2, code);
        assertTrue(err.toString().contains("--link"), err.toString());
    }
}
