package dev.starling.optimizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.starling.tensor.cpu.ParallelFor;
import org.junit.jupiter.api.Test;

class ScheduleAndClipTest {
    @Test
    void cosineShouldWarmUpLinearlyThenDecayToMinAndStay() {
        CosineSchedule s = new CosineSchedule(1e-3f, 1e-4f, 100, 2000);
        assertEquals(1e-3f / 101, s.lr(0), 1e-9);
        assertEquals(1e-3f * 100 / 101, s.lr(99), 1e-9);
        assertEquals(1e-3f, s.lr(100), 1e-9);
        assertEquals(0.55e-3f, s.lr(1050), 1e-7);
        assertEquals(1e-4f, s.lr(2000), 1e-9);
        assertEquals(1e-4f, s.lr(5000), 1e-9);
        for (int t = 101; t < 2000; t++) {
            assertEquals(true, s.lr(t) <= s.lr(t - 1));
        }
        assertThrows(IllegalArgumentException.class, () -> new CosineSchedule(1e-3f, 1e-2f, 0, 10));
    }

    @Test
    void clipShouldScaleToMaxNormAndReportTheNormBefore() {
        float[] g = new float[40_000];
        java.util.Arrays.fill(g, 0.5f);
        double expected = Math.sqrt(40_000 * 0.25);
        try (ParallelFor pool = new ParallelFor(2)) {
            GradClip clip = new GradClip();
            assertEquals(expected, clip.clip(pool, g, g.length, 1f), 1e-6);
            assertEquals(1.0, clip.norm(pool, g, g.length), 1e-4);
            assertEquals(1.0, clip.clip(pool, g, g.length, 0f), 1e-4);
        }
    }
}
