package dev.starling.collectives.aggregate;

import dev.starling.collectives.CollectivesException;
import java.util.Arrays;

/**
 * Coordinate-wise trimmed mean (Yin et al. 2018): each coordinate drops its {@code trim} largest and {@code trim}
 * smallest values and averages the rest. When dropouts leave too few contributions ({@code n <= 2·trim}) the trim
 * shrinks to {@code (n - 1) / 2}, which is the median, rather than failing the round. Weights are ignored.
 * Immutable.
 */
public final class TrimmedMean implements Aggregator {
    private final int trim;

    /**
     * Creates the aggregator.
     *
     * @param trim values dropped at each end, ≥ 0 (set it to the number of attackers tolerated)
     */
    public TrimmedMean(final int trim) {
        if (trim < 0) {
            throw CollectivesException.internal("trim must be >= 0, was " + trim);
        }
        this.trim = trim;
    }

    @Override
    public void aggregate(final float[][] inputs, final double[] weights, final int length, final float[] out) {
        AggregatorChecks.check(inputs, weights, length, out);
        int n = inputs.length;
        int cut = Math.min(trim, (n - 1) / 2);
        float[] column = new float[n];
        for (int c = 0; c < length; c++) {
            for (int i = 0; i < n; i++) {
                column[i] = inputs[i][c];
            }
            Arrays.sort(column);
            double s = 0;
            for (int i = cut; i < n - cut; i++) {
                s += column[i];
            }
            out[c] = (float) (s / (n - 2 * cut));
        }
    }

    @Override
    public String name() {
        return "trimmed-mean(trim=" + trim + ")";
    }
}
