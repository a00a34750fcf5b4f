package dev.starling.optimizer;

import dev.starling.tensor.cpu.ParallelFor;
import dev.starling.tensor.ops.VectorMath;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Global gradient-norm clipping over one flat gradient buffer. The owner thread calls it; the
 * per-block partial sums live in a buffer this object owns, so a call allocates nothing.
 */
public final class GradClip {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int BLOCK = 16384;
    private double[] partial = new double[0];

    /**
     * Creates a clipper with no buffers yet (they grow on first use).
     */
    public GradClip() {
    }

    /**
     * The L2 norm of {@code g[0..n)}, summed in double per block.
     *
     * @param pool the worker team
     * @param g    the gradients
     * @param n    element count
     * @return the norm
     */
    public double norm(ParallelFor pool, float[] g, int n) {
        int blocks = (n + BLOCK - 1) / BLOCK;
        if (partial.length < blocks) {
            partial = new double[blocks];
        }
        double[] sums = partial;
        pool.run(blocks, k -> {
            int from = k * BLOCK;
            int to = Math.min(n, from + BLOCK);
            int i = from;
            int upper = from + S.loopBound(to - from);
            FloatVector acc = FloatVector.zero(S);
            for (; i < upper; i += S.length()) {
                FloatVector v = FloatVector.fromArray(S, g, i);
                acc = v.fma(v, acc);
            }
            double s = VectorMath.sum(acc);
            for (; i < to; i++) {
                s += (double) g[i] * g[i];
            }
            sums[k] = s;
        });
        double total = 0;
        for (int k = 0; k < blocks; k++) {
            total += sums[k];
        }
        return Math.sqrt(total);
    }

    /**
     * Scales the gradients so that their norm is at most {@code maxNorm}.
     *
     * @param pool    the worker team
     * @param g       the gradients
     * @param n       element count
     * @param maxNorm the cap; 0 or less disables clipping (the norm is still returned)
     * @return the norm before clipping
     */
    public double clip(ParallelFor pool, float[] g, int n, float maxNorm) {
        double norm = norm(pool, g, n);
        if (maxNorm > 0f && norm > maxNorm) {
            float scale = (float) (maxNorm / (norm + 1e-6));
            int blocks = (n + BLOCK - 1) / BLOCK;
            pool.run(blocks, k -> {
                int to = Math.min(n, (k + 1) * BLOCK);
                for (int i = k * BLOCK; i < to; i++) {
                    g[i] *= scale;
                }
            });
        }
        return norm;
    }
}
