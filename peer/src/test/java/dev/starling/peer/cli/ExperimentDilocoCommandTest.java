package dev.starling.peer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tiny {@code experiment diloco} end to end: the in-process sweep and the overlap measurement over the mesh (two
 * peers, emulated 5 ms links) in one run, whose one JSON line carries the four headline fields. No timing is
 * asserted.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ExperimentDilocoCommandTest {
    @Test
    void shouldPutBytesLossAndUtilizationInOneJsonLine(@TempDir final Path dir) throws Exception {
        JsonNode result = CliJson.run("experiment", "diloco", "--quick", "--peers", "2", "--steps", "8", "--h", "4,8",
                "--codecs", "int4", "--co2-h", "4", "--channels", "16", "--batch", "2", "--eval-batches", "2",
                "--threads", "1", "--codec-block", "64", "--outer-lr", "1.0", "--outer-momentum", "0",
                "--overlap-rounds", "3", "--overlap-h", "4", "--overlap-link", "0,5ms", "--overlap-channels", "16",
                "--out", dir.toString());
        for (String field : new String[] {"comm_reduction", "val_loss_ratio", "utilization", "utilization_blocking"}) {
            assertTrue(result.has(field), field + " missing: " + result);
        }
        double utilization = result.get("utilization").asDouble();
        assertTrue(utilization > 0 && utilization <= 1.01, result.toString());
        assertEquals("0,5ms", result.get("overlap").get("link").asText());
        assertEquals(3, result.get("overlap").get("rounds_identical_co2").asInt(), result.toString());
        assertEquals(1.0, result.get("outer_lr").asDouble());
        assertTrue(result.get("model_parameters").asLong() > 0);
        assertEquals(result, new ObjectMapper().readTree(Files.readString(dir.resolve("result.json"))));
        assertTrue(Files.exists(dir.resolve("diloco-h8-int4.csv")));
        assertTrue(Files.exists(dir.resolve("co2-h4-int4.csv")));
    }

    @Test
    void shouldRunEverySettingOncePerOuterOptimizerAndTheBaselineOnce(@TempDir final Path dir) throws Exception {
        JsonNode result = CliJson.run("experiment", "diloco", "--quick", "--peers", "2", "--steps", "8", "--h", "4",
                "--codecs", "int4", "--no-co2", "--channels", "16", "--batch", "2", "--eval-batches", "2",
                "--threads", "1", "--outer-lr", "0.7,1.0", "--outer-momentum", "0.9", "--lr", "2e-3", "--min-lr",
                "2e-4", "--warmup", "2", "--no-overlap", "--out", dir.toString());
        List<String> names = new ArrayList<>();
        result.get("settings").forEach(s -> names.add(s.get("setting").asText()));
        assertEquals(List.of("dp-fp32", "diloco-h4-int4-olr0.7-m0.9", "diloco-h4-int4-olr1.0-m0.9"), names);
        assertEquals(2e-3, result.get("inner_lr").asDouble(), 1e-9);
        assertEquals(2, result.get("warmup").asInt());
        assertTrue(Files.exists(dir.resolve("diloco-h4-int4-olr1.0-m0.9.csv")));
        // the two outer optimizers start from the same state but must not give the same model
        assertNotEquals(result.get("settings").get(1).get("val_loss").asDouble(),
                result.get("settings").get(2).get("val_loss").asDouble());
    }

    @Test
    void shouldRunOnlyTheBaselineOrOnlyTheDilocoSettingsWhenAsked(@TempDir final Path dir) throws Exception {
        String[] common = {"experiment", "diloco", "--quick", "--peers", "2", "--steps", "8", "--h", "4", "--codecs",
            "int4", "--no-co2", "--channels", "16", "--batch", "2", "--eval-batches", "2", "--threads", "1",
            "--no-overlap", "--out", dir.toString()};
        List<String> args = new ArrayList<>(List.of(common));
        args.add("--baseline-only");
        JsonNode only = CliJson.run(args.toArray(String[]::new));
        assertEquals(1, only.get("settings").size(), only.toString());
        assertEquals("dp-fp32", only.get("settings").get(0).get("setting").asText());
        args.set(args.size() - 1, "--no-baseline");
        JsonNode without = CliJson.run(args.toArray(String[]::new));
        assertEquals(1, without.get("settings").size(), without.toString());
        assertEquals("diloco-h4-int4", without.get("settings").get(0).get("setting").asText());
        assertTrue(without.get("comm_reduction").isNull(), without.toString());
    }

    @Test
    void shouldRejectAMinLrAboveTheLrWithOneLine() {
        StringWriter err = new StringWriter();
        int code = StarlingCommand.commandLine(new PrintWriter(err, true)).execute("experiment", "diloco", "--quick",
                "--lr", "1e-3", "--min-lr", "2e-3", "--no-overlap");
        assertEquals(2, code);
        assertTrue(err.toString().contains("--min-lr"), err.toString());
    }

    @Test
    void shouldRejectACodecBlockOutOfRangeWithOneLine() {
        StringWriter err = new StringWriter();
        int code = StarlingCommand.commandLine(new PrintWriter(err, true)).execute("experiment", "diloco", "--quick",
                "--codec-block", "4");
        assertEquals(2, code);
        assertTrue(err.toString().contains("--codec-block"), err.toString());
    }
}
