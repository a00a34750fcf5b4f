package dev.starling.collectives.aggregate;

import java.util.Arrays;

/**
 * Coordinate-wise median (Yin et al. 2018): each coordinate independently takes the median of the n values, the
 * mean of the two middle ones when n is even. Weights are ignored. Immutable.
 */
public final class CoordinateMedian implements Aggregator {

    @Override
    public void aggregate(final float[][] inputs, final double[] weights, final int length, final float[] out) {
        AggregatorChecks.check(inputs, weights, length, out);
        int n = inputs.length;
        float[] column = new float[n];
        for (int c = 0; c < length; c++) {
            for (int i = 0; i < n; i++) {
                column[i] = inputs[i][c];
            }
            Arrays.sort(column);
            out[c] = (n & 1) == 1 ? column[n / 2] : (float) (((double) column[n / 2 - 1] + column[n / 2]) / 2);
        }
    }

    @Override
    public String name() {
        return "median";
    }
}
