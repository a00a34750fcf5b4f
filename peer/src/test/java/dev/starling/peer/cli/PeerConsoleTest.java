package dev.starling.peer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.peer.node.MemoryEstimate;
import dev.starling.peer.node.MeshDiloco;
import dev.starling.protocol.manifest.ManifestParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class PeerConsoleTest {
    private static final String HASH = "0a49a506c71528d125b0e10df76de177be6d3f3711863a201e56da5b87a5ca15";

    private static MeshDiloco.RoundOutcome outcome(long round, int group, int faults) {
        return new MeshDiloco.RoundOutcome(round, group, true, 3.25, 2.5, HASH, 270_652, 260_000, 2124, 8.0, faults,
                4000);
    }

    @Test
    void shouldWriteOneLogfmtLinePerEventAndNoProgressOffATerminal() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PeerConsole console = PeerConsole.create(new PrintStream(bytes, true, StandardCharsets.UTF_8), "logfmt", 512,
                0);
        console.joined("12D3KooWpeer", HASH, "cpu", "auto: no \"CUDA\" here");
        for (int step = 1; step <= 30; step++) {
            console.innerStep(step, 30, 3.0, step * 1_000_000L);
        }
        console.roundDone(outcome(1, 3, 0), 40_000_000L);
        console.roundDone(outcome(2, 2, 1), 80_000_000L);
        console.banned("12D3KooWbad", "sent NaN");
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(5, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(0).matches("ts=\\S+ event=joined peer=12D3KooWpeer run=" + HASH
                + " device=cpu device_reason=\"auto: no \\\\\"CUDA\\\\\" here\""), lines.get(0));
        assertTrue(lines.get(1).contains(" event=round_done round=1 group=3 inner_loss=3.25000 val_loss=2.50000"
                + " bytes_sent=270652 "), lines.get(1));
        assertTrue(lines.get(3).contains("event=peer_lost round=2 failed=1"), lines.get(3));
        assertTrue(lines.get(4).contains("event=banned peer=12D3KooWbad reason=\"sent NaN\""), lines.get(4));
        assertFalse(bytes.toString(StandardCharsets.UTF_8).contains("\r"));
    }

    @Test
    void shouldRedrawOneLiveLineAtMostTenTimesASecondWithEventsAboveIt() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PeerConsole console = PeerConsole.create(new PrintStream(bytes, true, StandardCharsets.UTF_8), "live", 512, 0);
        for (int step = 1; step <= 30; step++) {
            console.innerStep(step, 30, 3.0, step * 10_000_000L); // 100 steps/s: 51200 tok/s
        }
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(4, text.split("\r", -1).length - 1, "steps 1, 11, 21 and the last: " + text);
        assertTrue(text.endsWith("round 1  step 30/30  51200 tok/s  loss 3.0000  group 0  sent 0.00 MB  recv 0.00 MB"
                + "  state -"), text);
        bytes.reset();
        console.roundDone(outcome(1, 3, 0), 400_000_000L);
        console.roundDone(outcome(2, 2, 0), 800_000_000L);
        text = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("\r\033[Kround 1 done: group 3, inner loss 3.2500, val loss 2.5000, sent 0.27 MB,"
                + " 2124 ms, state 0a49a506c715\n"), text);
        assertTrue(text.contains("round 2: the group shrank from 3 to 2\n"), text);
        assertTrue(text.endsWith("round 3  step 0/30  51200 tok/s  loss 3.0000  group 2  sent 0.54 MB  recv 0.52 MB"
                + "  state 0a49a506c715"), text);
    }

    @Test
    void shouldRefuseCudaAndExplainAutoInOneLine() {
        ResourceOptions options = new ResourceOptions();
        options.device = "auto";
        assertEquals("cpu", options.device().name());
        assertTrue(options.device().reason().contains("no CUDA backend"));
        options.device = "cuda";
        UserError error = assertThrows(UserError.class, options::device);
        assertTrue(error.getMessage().contains("CUDA backend is not available in this build"), error.getMessage());
        options.device = "tpu";
        assertThrows(UserError.class, options::device);
    }

    @Test
    void shouldParseSizesAndRefuseARunOverMaxMemory() {
        assertEquals(512L << 20, ResourceOptions.parseBytes("--max-memory", "512m"));
        assertEquals(3L << 29, ResourceOptions.parseBytes("--max-memory", "1.5GiB"));
        assertEquals(4096, ResourceOptions.parseBytes("--max-memory", "4096"));
        for (String bad : List.of("", "12q", "-1g", "0", "NaN", "1e9", "g")) {
            assertThrows(UserError.class, () -> ResourceOptions.parseBytes("--max-memory", bad), bad);
        }
        MemoryEstimate estimate = MemoryEstimate.of(ManifestParser.parse("[model]\nlayers = 2\nchannels = 64\n"), 65);
        long p = estimate.parameters();
        assertEquals(65L * 64 + 64L * 64 + 2 * (12L * 64 * 64 + 4 * 64) + 64, p);
        assertEquals(9 * p * 4, estimate.stateBytes(), "weights, grads, 2 AdamW moments, θ_global, start, Δ,"
                + " residual, momentum");
        ResourceOptions options = new ResourceOptions();
        options.maxMemory = "1m";
        UserError error = assertThrows(UserError.class, () -> options.checkFits(estimate));
        assertTrue(error.getMessage().startsWith("this run needs about "), error.getMessage());
        options.maxMemory = "1g";
        options.checkFits(estimate);
    }
}
