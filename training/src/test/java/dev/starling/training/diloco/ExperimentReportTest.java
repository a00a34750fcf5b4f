package dev.starling.training.diloco;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExperimentReportTest {
    private static final ExperimentVariant DP = new ExperimentVariant(ExperimentVariant.Mode.DATA_PARALLEL, 1, "fp32");

    private static DilocoExperiment.Outcome outcome(final ExperimentVariant v, final double loss, final long bytes) {
        return new DilocoExperiment.Outcome(v, List.of(new DilocoExperiment.Point(0, 0, 4.0, Double.NaN),
            new DilocoExperiment.Point(1000, bytes, loss, loss + 0.1)), bytes, 1.0, true);
    }

    @Test
    void shouldPickTheCheapestSettingWithinTwoPercentOfTheBaseline() {
        List<DilocoExperiment.Outcome> outcomes = List.of(outcome(DP, 2.00, 4_000_000),
            outcome(new ExperimentVariant(ExperimentVariant.Mode.DILOCO, 50, "int8"), 2.03, 8_000),
            outcome(new ExperimentVariant(ExperimentVariant.Mode.DILOCO, 500, "int4"), 2.05, 500),
            outcome(new ExperimentVariant(ExperimentVariant.Mode.CO2, 100, "int8"), 2.01, 4_000));
        Map<String, Object> s = ExperimentReport.summary(outcomes, Map.of("utilization", 0.99,
            "utilization_blocking", 0.6));
        assertEquals("co2-h100-int8", s.get("best_setting"), "2.05 is more than 2% worse, so h500 does not count");
        assertEquals(1000.0, s.get("comm_reduction"));
        assertEquals(1.005, s.get("val_loss_ratio"));
        assertEquals(false, s.get("target_met"));
        assertEquals(0.99, s.get("utilization"), "the overlap measurement's CO2 figure");
        assertEquals(0.6, s.get("utilization_blocking"));
    }

    @Test
    void shouldReportNoReductionWhenNoSettingIsCloseEnough() {
        Map<String, Object> s = ExperimentReport.summary(List.of(outcome(DP, 2.0, 1000),
            outcome(new ExperimentVariant(ExperimentVariant.Mode.DILOCO, 50, "topk"), 3.0, 1)), null);
        assertNull(s.get("comm_reduction"));
        assertEquals("diloco-h50-topk", s.get("lowest_loss_setting"));
        assertFalse((Boolean) s.get("target_met"));
        assertTrue(s.containsKey("utilization"));
        assertNull(s.get("utilization"), "no overlap measurement, no utilization");
    }

    @Test
    void shouldWriteACsvPerSettingAndAPlot(@TempDir final Path dir) throws Exception {
        ExperimentVariant v = new ExperimentVariant(ExperimentVariant.Mode.DILOCO, 50, "int4");
        ExperimentReport.write(dir, List.of(outcome(DP, 2.0, 1000), outcome(v, 2.1, 10)));
        List<String> csv = Files.readAllLines(dir.resolve("diloco-h50-int4.csv"));
        assertEquals("tokens,bytes_per_peer,val_loss,train_loss", csv.getFirst());
        assertEquals("1000,10,2.100000,2.200000", csv.get(2));
        assertEquals(1400, ImageIO.read(dir.resolve("val_loss.png").toFile()).getWidth());
    }
}
