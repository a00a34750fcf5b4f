package dev.starling.fault.checkfree;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class CheckFreeTest {
    @Test
    void shouldWeightEachNeighbourByItsGradientNorm() {
        float[] prev = {0f, 10f, 4f};
        float[] next = {0f, 0f, 0f, 20f, 8f};
        float[] dst = new float[3];
        CheckFree.average(prev, 1, 3.0, next, 3, 1.0, dst, 1, 2);
        double a = 3 + CheckFree.NORM_FLOOR;
        double b = 1 + CheckFree.NORM_FLOOR;
        assertEquals((float) ((a * 10 + b * 20) / (a + b)), dst[1], 1e-5f);
        assertEquals((float) ((a * 4 + b * 8) / (a + b)), dst[2], 1e-5f);
        assertEquals(0f, dst[0]);
        CheckFree.average(prev, 1, Double.NaN, next, 3, Double.NaN, dst, 1, 2);
        assertEquals(15f, dst[1], 1e-6f, "unknown norms average uniformly");
        assertThrows(IllegalArgumentException.class, () -> CheckFree.average(prev, 2, 1, next, 0, 1, dst, 0, 2));
    }

    @Test
    void shouldPlanFromNeighboursAndOnlyCheckFreePlusCarriesTheEnds() {
        RecoveryPlan mid = RecoveryPlan.of(Strategy.CHECKFREE, 2, 4);
        assertEquals(RecoveryPlan.Source.AVERAGE, mid.source());
        assertArrayEquals(new int[] {1, 3}, mid.neighbours());
        RecoveryPlan first = RecoveryPlan.of(Strategy.CHECKFREE_PLUS, 0, 4);
        assertEquals(RecoveryPlan.Source.COPY, first.source());
        assertArrayEquals(new int[] {1}, first.neighbours());
        assertEquals(1, first.endLayersFrom());
        RecoveryPlan last = RecoveryPlan.of(Strategy.CHECKFREE_PLUS, 3, 4);
        assertArrayEquals(new int[] {2}, last.neighbours());
        assertEquals(2, last.endLayersFrom());
        assertEquals(-1, RecoveryPlan.of(Strategy.CHECKFREE, 3, 4).endLayersFrom());
        assertArrayEquals(new int[] {3}, RecoveryPlan.of(Strategy.REDUNDANT, 0, 4).neighbours());
        assertEquals(RecoveryPlan.Source.CHECKPOINT, RecoveryPlan.of(Strategy.CHECKPOINT_RESTART, 1, 4).source());
        assertThrows(IllegalArgumentException.class, () -> RecoveryPlan.of(Strategy.CHECKFREE, 0, 1));
    }

    @Test
    void shouldSwapTheEndPairsOnEverySecondMicroBatch() {
        OutOfOrderSchedule schedule = new OutOfOrderSchedule(4, 2);
        assertArrayEquals(new int[] {0, 1, 2, 3}, schedule.order(0));
        assertArrayEquals(new int[] {1, 0, 3, 2}, schedule.order(1));
        assertArrayEquals(new int[] {0, 1, 2, 3}, new OutOfOrderSchedule(4, 0).order(1));
    }

    @Test
    void shouldDrawTheExpectedNumberOfFailuresDeterministically() {
        int stages = 4;
        int steps = 20_000;
        double hours = 100;
        StageFailureSchedule a = new StageFailureSchedule(stages, steps, 0.10, steps / hours, 10, 5);
        StageFailureSchedule b = new StageFailureSchedule(stages, steps, 0.10, steps / hours, 10, 5);
        List<int[]> failures = a.failures();
        assertEquals(failures.size(), b.failures().size());
        double expected = stages * hours * 0.10;
        assertTrue(Math.abs(failures.size() - expected) < 4 * Math.sqrt(expected), failures.size() + " vs " + expected);
        assertTrue(failures.getFirst()[0] >= 10, "grace period");
        assertEquals(-1, a.failedStage(steps + 5));
    }
}
