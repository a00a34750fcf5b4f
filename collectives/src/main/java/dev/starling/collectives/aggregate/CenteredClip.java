package dev.starling.collectives.aggregate;

import dev.starling.collectives.CollectivesException;

/**
 * CenteredClip (Karimireddy et al. 2021; the reducer rule of BTARD, Gorbunov et al. 2022). Starting from a center
 * {@code v} (a warm start such as last round's aggregate, else the coordinate-wise median), it iterates
 *
 * <pre>
 *   v ← v + Σ_i w_i · min(1, τ / ||x_i − v||) · (x_i − v)        (weights w_i normalized to sum 1)
 * </pre>
 *
 * <p>so each contribution pulls the center by at most τ. A fixed point satisfies
 * {@code Σ_i w_i · clip_τ(x_i − v) = 0}, which is what reducer verification checks. Iteration stops after
 * {@code iterations} steps, or earlier once a step moves the center by less than {@code tolerance}. Center and
 * accumulators are doubles; the result is the center rounded to float. Immutable.
 */
public final class CenteredClip implements Aggregator {
    private final double tau;
    private final int iterations;
    private final double tolerance;

    /**
     * Creates the aggregator.
     *
     * @param tau        clipping radius τ &gt; 0, in the units of the vectors' L2 norm
     * @param iterations maximum iterations, ≥ 1
     * @param tolerance  stop when a step's L2 norm is at most this (0 runs every iteration)
     */
    public CenteredClip(final double tau, final int iterations, final double tolerance) {
        if (!(tau > 0) || iterations < 1 || !(tolerance >= 0)) {
            throw CollectivesException.internal("CenteredClip needs tau > 0, iterations >= 1, tolerance >= 0; got tau="
                + tau + " iterations=" + iterations + " tolerance=" + tolerance);
        }
        this.tau = tau;
        this.iterations = iterations;
        this.tolerance = tolerance;
    }

    @Override
    public void aggregate(final float[][] inputs, final double[] weights, final int length, final float[] out) {
        aggregate(inputs, weights, length, null, out);
    }

    @Override
    public void aggregate(final float[][] inputs, final double[] weights, final int length, final float[] start,
                          final float[] out) {
        double[] w = AggregatorChecks.check(inputs, weights, length, out);
        int n = inputs.length;
        float[] init = start;
        if (init == null) {
            init = new float[length];
            new CoordinateMedian().aggregate(inputs, null, length, init);
        } else if (init.length < length) {
            throw CollectivesException.internal("start of " + init.length + " elements for length " + length);
        }
        double[] v = new double[length];
        for (int c = 0; c < length; c++) {
            v[c] = init[c];
        }
        double[] step = new double[length];
        double[] coef = new double[n];
        for (int it = 0; it < iterations; it++) {
            clipCoefficients(inputs, w, v, length, coef);
            java.util.Arrays.fill(step, 0.0);
            for (int i = 0; i < n; i++) {
                double k = coef[i];
                if (k == 0) {
                    continue;
                }
                float[] x = inputs[i];
                for (int c = 0; c < length; c++) {
                    step[c] += k * (x[c] - v[c]);
                }
            }
            double moved = 0;
            for (int c = 0; c < length; c++) {
                v[c] += step[c];
                moved += step[c] * step[c];
            }
            if (Math.sqrt(moved) <= tolerance) {
                break;
            }
        }
        for (int c = 0; c < length; c++) {
            out[c] = (float) v[c];
        }
    }

    /** coef[i] = w_i · min(1, τ / ||x_i − v||). */
    private void clipCoefficients(final float[][] inputs, final double[] w, final double[] v, final int length,
                                  final double[] coef) {
        for (int i = 0; i < inputs.length; i++) {
            double s = 0;
            float[] x = inputs[i];
            for (int c = 0; c < length; c++) {
                double d = x[c] - v[c];
                s += d * d;
            }
            double norm = Math.sqrt(s);
            coef[i] = w[i] * (norm <= tau ? 1.0 : tau / norm);
        }
    }

    /** @return τ */
    public double tau() {
        return tau;
    }

    @Override
    public String name() {
        return "centered-clip(tau=" + tau + ",iters=" + iterations + ")";
    }
}
