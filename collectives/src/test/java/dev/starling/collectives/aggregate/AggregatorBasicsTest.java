package dev.starling.collectives.aggregate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.collectives.CollectivesException;
import org.junit.jupiter.api.Test;

class AggregatorBasicsTest {
    private static final float[][] COLUMNS = {
        {1f, 10f}, {2f, 20f}, {3f, 30f}, {4f, 40f}, {100f, -1000f}
    };

    @Test
    void shouldTakeCoordinateMediansOfOddAndEvenCounts() {
        float[] out = new float[2];
        new CoordinateMedian().aggregate(COLUMNS, null, 2, out);
        assertArrayEquals(new float[] {3f, 20f}, out);
        new CoordinateMedian().aggregate(new float[][] {{1f}, {2f}, {4f}, {8f}}, null, 1, out);
        assertEquals(3f, out[0]);
    }

    @Test
    void shouldTrimBothEndsPerCoordinate() {
        float[] out = new float[2];
        new TrimmedMean(1).aggregate(COLUMNS, null, 2, out);
        assertArrayEquals(new float[] {3f, 20f}, out);
        // Too few contributions for the trim: it falls back to the median instead of failing the round.
        new TrimmedMean(3).aggregate(COLUMNS, null, 2, out);
        assertArrayEquals(new float[] {3f, 20f}, out);
        assertThrows(CollectivesException.class, () -> new TrimmedMean(-1));
    }

    @Test
    void shouldWeightTheMean() {
        float[] out = new float[1];
        new Mean().aggregate(new float[][] {{0f}, {10f}}, new double[] {3, 1}, 1, out);
        assertEquals(2.5f, out[0]);
        assertThrows(CollectivesException.class,
            () -> new Mean().aggregate(new float[][] {{0f}}, new double[] {-1}, 1, out));
    }

    @Test
    void shouldLetKrumPickAContributionInsideTheCluster() {
        float[][] x = {{0f, 0f}, {0.1f, 0f}, {0f, 0.1f}, {0.1f, 0.1f}, {50f, 50f}, {-50f, 40f}};
        float[] out = new float[2];
        new Krum(2, 1).aggregate(x, null, 2, out);
        assertTrue(Math.abs(out[0]) <= 0.1f && Math.abs(out[1]) <= 0.1f);
        new Krum(2, 4).aggregate(x, null, 2, out);
        assertArrayEquals(new float[] {0.05f, 0.05f}, out, 1e-6f);
    }

    @Test
    void shouldEqualTheMeanWhenTauCoversEveryContribution() {
        float[][] x = ByzantineAttackTest.contributions(ByzantineAttackTest.Attack.SIGN_FLIP, 0, 3);
        float[] clip = new float[ByzantineAttackTest.D];
        float[] mean = new float[ByzantineAttackTest.D];
        new CenteredClip(1e6, 5, 0).aggregate(x, null, ByzantineAttackTest.D, clip);
        new Mean().aggregate(x, null, ByzantineAttackTest.D, mean);
        assertArrayEquals(mean, clip, 1e-5f);
    }

    @Test
    void shouldReachTheClippedFixedPointAndHonourTheWarmStart() {
        float[][] x = ByzantineAttackTest.contributions(ByzantineAttackTest.Attack.GAUSSIAN_NOISE, 7, 4);
        int d = ByzantineAttackTest.D;
        float[] v = new float[d];
        double tau = 3.0;
        new CenteredClip(tau, 200, 0).aggregate(x, null, d, v);
        // Fixed point: sum_i clip_tau(x_i - v) ~ 0, relative to the size of one clipped term.
        double[] sum = new double[d];
        for (float[] xi : x) {
            double norm = Math.sqrt(AggregatorChecks.squaredDistance(xi, v, d));
            double k = Math.min(1, tau / norm);
            for (int c = 0; c < d; c++) {
                sum[c] += k * (xi[c] - v[c]);
            }
        }
        double residual = 0;
        for (double s : sum) {
            residual += s * s;
        }
        assertTrue(Math.sqrt(residual) < 1e-3 * tau, "fixed-point residual " + Math.sqrt(residual));
        // One iteration from the fixed point stays there.
        float[] again = new float[d];
        new CenteredClip(tau, 1, 0).aggregate(x, null, d, v, again);
        assertArrayEquals(v, again, 1e-4f);
    }

    @Test
    void shouldBeBitIdenticalAcrossCalls() {
        float[][] x = ByzantineAttackTest.contributions(ByzantineAttackTest.Attack.ALIE, 7, 8);
        int d = ByzantineAttackTest.D;
        for (Aggregator a : ByzantineAttackTest.aggregators().values()) {
            float[] one = new float[d];
            float[] two = new float[d];
            a.aggregate(x, null, d, one);
            a.aggregate(x, null, d, two);
            assertArrayEquals(one, two, 0f, a.name());
        }
    }
}
