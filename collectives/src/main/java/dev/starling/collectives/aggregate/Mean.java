package dev.starling.collectives.aggregate;

/** Weighted arithmetic mean: the non-robust baseline (one attacker can move it anywhere). Immutable. */
public final class Mean implements Aggregator {

    @Override
    public void aggregate(final float[][] inputs, final double[] weights, final int length, final float[] out) {
        double[] w = AggregatorChecks.check(inputs, weights, length, out);
        for (int c = 0; c < length; c++) {
            double s = 0;
            for (int i = 0; i < inputs.length; i++) {
                s += w[i] * inputs[i][c];
            }
            out[c] = (float) s;
        }
    }

    @Override
    public String name() {
        return "mean";
    }
}
