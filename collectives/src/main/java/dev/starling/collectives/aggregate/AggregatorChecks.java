package dev.starling.collectives.aggregate;

import dev.starling.collectives.CollectivesException;

/** Argument checks and small numeric helpers shared by the aggregators. */
final class AggregatorChecks {
    private AggregatorChecks() {
    }

    /** Checks shapes and returns normalized weights (summing to 1) as doubles. */
    static double[] check(final float[][] inputs, final double[] weights, final int length, final float[] out) {
        if (inputs == null || inputs.length == 0) {
            throw CollectivesException.internal("no contributions to aggregate");
        }
        if (length < 0 || out.length < length) {
            throw CollectivesException.internal("output of " + out.length + " for length " + length);
        }
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i].length < length) {
                throw CollectivesException.internal("contribution " + i + " has " + inputs[i].length
                    + " elements, need " + length);
            }
        }
        int n = inputs.length;
        double[] w = new double[n];
        if (weights == null) {
            java.util.Arrays.fill(w, 1.0 / n);
            return w;
        }
        if (weights.length != n) {
            throw CollectivesException.internal(weights.length + " weights for " + n + " contributions");
        }
        double sum = 0;
        for (double v : weights) {
            if (!(v >= 0) || !Double.isFinite(v)) {
                throw CollectivesException.internal("weight " + v + " is not a finite non-negative number");
            }
            sum += v;
        }
        if (!(sum > 0)) {
            throw CollectivesException.internal("weights sum to " + sum);
        }
        for (int i = 0; i < n; i++) {
            w[i] = weights[i] / sum;
        }
        return w;
    }

    static double squaredDistance(final float[] a, final float[] b, final int length) {
        double s = 0;
        for (int c = 0; c < length; c++) {
            double d = (double) a[c] - b[c];
            s += d * d;
        }
        return s;
    }
}
