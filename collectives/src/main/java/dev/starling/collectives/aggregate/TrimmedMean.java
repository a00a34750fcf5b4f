package dev.starling.collectives.aggregate;

import dev.starling.collectives.CollectivesException;
import java.util.Arrays;

/**
 * Coordinate-wise trimmed mean (Yin et al. 2018): each coordinate drops its {@code trim} largest and {@code trim}
 * smallest values and averages the rest. Weights are ignored. Immutable.
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
        if (n <= 2 * trim) {
            throw CollectivesException.internal("cannot trim " + trim + " from each end of " + n + " contributions");
        }
        float[] column = new float[n];
        for (int c = 0; c < length; c++) {
            for (int i = 0; i < n; i++) {
                column[i] = inputs[i][c];
            }
            Arrays.sort(column);
            double s = 0;
            for (int i = trim; i < n - trim; i++) {
                s += column[i];
            }
            out[c] = (float) (s / (n - 2 * trim));
        }
    }

    @Override
    public String name() {
        return "trimmed-mean(trim=" + trim + ")";
    }
}
