package dev.starling.optimizer.outer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class OuterOptimizerTest {
    private static final int WORKERS = 4;
    private static final int DIM = 64;
    private static final int INNER_STEPS = 20;
    private static final float INNER_LR = 0.05f;

    /** Worker k minimizes 0.5 * ||θ - c_k||^2; the group optimum is the mean of the c_k. */
    private static float[][] centers(final long seed) {
        Random r = new Random(seed);
        float[][] c = new float[WORKERS][DIM];
        for (float[] row : c) {
            for (int i = 0; i < DIM; i++) {
                row[i] = (float) r.nextGaussian();
            }
        }
        return c;
    }

    private static void innerSteps(final float[] theta, final float[] center) {
        for (int s = 0; s < INNER_STEPS; s++) {
            for (int i = 0; i < DIM; i++) {
                theta[i] -= INNER_LR * (theta[i] - center[i]);
            }
        }
    }

    private static double distanceToOptimum(final float[] theta, final float[][] c) {
        double s = 0;
        for (int i = 0; i < DIM; i++) {
            double opt = 0;
            for (float[] row : c) {
                opt += row[i];
            }
            opt /= WORKERS;
            s += (theta[i] - opt) * (theta[i] - opt);
        }
        return Math.sqrt(s);
    }

    @Test
    void shouldMatchTheNesterovFormulaWithDilocoDefaults() {
        OuterNesterov opt = new OuterNesterov(1, OuterNesterovConfig.DILOCO);
        float[] theta = {1f};
        opt.step(theta, new float[] {0.1f});
        assertEquals(1f - 0.7f * (0.1f + 0.9f * 0.1f), theta[0], 1e-7f);
        opt.step(theta, new float[] {0.1f});
        float m2 = 0.9f * 0.1f + 0.1f;
        assertEquals(0.867f - 0.7f * (0.1f + 0.9f * m2), theta[0], 1e-6f);
        assertEquals(m2, opt.momentum()[0], 1e-7f);
    }

    @Test
    void shouldMoveTowardsTheLocalWeightsWithoutMomentum() {
        OuterNesterov opt = new OuterNesterov(2, new OuterNesterovConfig(1f, 0f));
        float[] global = {1f, 2f};
        float[] delta = new float[2];
        OuterNesterov.pseudoGradient(global, new float[] {0f, 4f}, delta);
        assertArrayEquals(new float[] {1f, -2f}, delta);
        opt.step(global, delta);
        assertArrayEquals(new float[] {0f, 4f}, global);
        assertThrows(IllegalArgumentException.class, () -> new OuterNesterovConfig(0.7f, 1f));
        assertThrows(IllegalArgumentException.class, () -> opt.step(new float[3], new float[3]));
    }

    @Test
    void shouldConvergeToTheGroupOptimumWithDiloco() {
        float[][] c = centers(1);
        float[] global = new float[DIM];
        OuterNesterov opt = new OuterNesterov(DIM, OuterNesterovConfig.DILOCO);
        double start = distanceToOptimum(global, c);
        for (int round = 0; round < 30; round++) {
            float[] avg = new float[DIM];
            for (int k = 0; k < WORKERS; k++) {
                float[] local = global.clone();
                innerSteps(local, c[k]);
                for (int i = 0; i < DIM; i++) {
                    avg[i] += (global[i] - local[i]) / WORKERS;
                }
            }
            opt.step(global, avg);
        }
        double end = distanceToOptimum(global, c);
        assertTrue(end < 1e-3 * start, "DiLoCo distance " + start + " -> " + end);
    }

    @Test
    void shouldGiveBitIdenticalStateOnTwoPeers() {
        Random r = new Random(5);
        OuterNesterov a = new OuterNesterov(DIM, OuterNesterovConfig.DILOCO);
        OuterNesterov b = new OuterNesterov(DIM, OuterNesterovConfig.DILOCO);
        Co2OuterOptimizer ca = new Co2OuterOptimizer(DIM, Co2Config.DEFAULTS);
        Co2OuterOptimizer cb = new Co2OuterOptimizer(DIM, Co2Config.DEFAULTS);
        float[] ta = new float[DIM];
        float[] tb = new float[DIM];
        float[] ua = new float[DIM];
        float[] ub = new float[DIM];
        for (int step = 0; step < 50; step++) {
            float[] g = new float[DIM];
            for (int i = 0; i < DIM; i++) {
                g[i] = (float) (1e-3 * r.nextGaussian());
            }
            a.step(ta, g.clone());
            b.step(tb, g.clone());
            ca.step(ua, g.clone());
            cb.step(ub, g.clone());
        }
        for (int i = 0; i < DIM; i++) {
            assertEquals(Float.floatToRawIntBits(ta[i]), Float.floatToRawIntBits(tb[i]));
            assertEquals(Float.floatToRawIntBits(ua[i]), Float.floatToRawIntBits(ub[i]));
        }
    }

    @Test
    void shouldClipOuterMomentumElementWise() {
        Co2OuterOptimizer opt = new Co2OuterOptimizer(3, new Co2Config(0.5f, 0.9f, false, 1f, 0f, 0.1f));
        float[] theta = {0f, 0f, 0f};
        Co2OuterOptimizer.Step s = opt.step(theta, new float[] {1f, -1f, 0.05f});
        assertEquals(2, s.clipped());
        assertArrayEquals(new float[] {0.1f, -0.1f, 0.05f}, opt.momentum());
        assertArrayEquals(new float[] {-0.05f, 0.05f, -0.025f}, theta, 1e-7f);
    }

    @Test
    void shouldPenalizeAStaleUpdateMoreAfterABigGlobalStep() {
        Co2Config cfg = new Co2Config(1f, 0f, false, 2f, 1f, Float.POSITIVE_INFINITY);
        Co2OuterOptimizer opt = new Co2OuterOptimizer(1, cfg);
        float[] theta = {0f};
        Co2OuterOptimizer.Step first = opt.step(theta, new float[] {4f});
        // No global step yet: only the constant divisor applies. θ = 0 - 1 * 4 / 2.
        assertEquals(2.0, first.penalty(), 1e-12);
        assertEquals(-2f, theta[0]);
        Co2OuterOptimizer.Step second = opt.step(theta, new float[] {4f});
        // Last step moved 2, the update is 4: p = 2 * (1 + 1 * 2 / 4) = 3.
        assertEquals(3.0, second.penalty(), 1e-12);
        assertEquals(-2f - 4f / 3f, theta[0], 1e-6f);
    }

    @Test
    void shouldRebaseLocalWeightsKeepingInnerProgress() {
        float[] local = {5f, 5f};
        float[] start = {4f, 6f};
        float[] global = {10f, 20f};
        Co2OuterOptimizer.rebaseLocal(local, start, global);
        assertArrayEquals(new float[] {11f, 19f}, local);
        assertArrayEquals(local, start);
    }

    @Test
    void shouldConvergeWithTheUpdateAppliedOneRoundLate() {
        float[][] c = centers(2);
        float[] global = new float[DIM];
        Co2OuterOptimizer opt = new Co2OuterOptimizer(DIM, new Co2Config(0.7f, 0.5f, true, 1f, 1f, 1f));
        float[][] local = new float[WORKERS][];
        float[][] start = new float[WORKERS][];
        for (int k = 0; k < WORKERS; k++) {
            local[k] = global.clone();
            start[k] = global.clone();
        }
        double begin = distanceToOptimum(global, c);
        float[] inFlight = null;
        for (int round = 0; round < 60; round++) {
            float[] avg = new float[DIM];
            for (int k = 0; k < WORKERS; k++) {
                innerSteps(local[k], c[k]);
                for (int i = 0; i < DIM; i++) {
                    avg[i] += (start[k][i] - local[k][i]) / WORKERS;
                }
            }
            if (inFlight != null) {
                opt.step(global, inFlight);
            }
            for (int k = 0; k < WORKERS; k++) {
                Co2OuterOptimizer.rebaseLocal(local[k], start[k], global);
            }
            inFlight = avg;
        }
        double end = distanceToOptimum(global, c);
        assertTrue(end < 1e-2 * begin, "CO2 distance " + begin + " -> " + end);
    }

    @Test
    void shouldReduceToDilocoNesterovWithoutPenaltyOrClipping() {
        Random r = new Random(6);
        OuterNesterov diloco = new OuterNesterov(DIM, OuterNesterovConfig.DILOCO);
        Co2OuterOptimizer co2 = new Co2OuterOptimizer(DIM, new Co2Config(0.7f, 0.9f, true, 1f, 0f,
            Float.POSITIVE_INFINITY));
        float[] a = new float[DIM];
        float[] b = new float[DIM];
        for (int step = 0; step < 20; step++) {
            float[] g = new float[DIM];
            for (int i = 0; i < DIM; i++) {
                g[i] = (float) r.nextGaussian();
            }
            diloco.step(a, g);
            co2.step(b, g);
            assertArrayEquals(a, b, 0f, "step " + step);
        }
    }
}
