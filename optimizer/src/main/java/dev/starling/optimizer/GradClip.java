package dev.starling.optimizer;

import dev.starling.tensor.cpu.ParallelFor;
import dev.starling.tensor.ops.VectorMath;
import java.util.function.IntConsumer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Global gradient-norm clipping over one flat gradient buffer. The owner thread calls it; the
 * per-block partial sums and the two worker tasks are made once and reused, so a call allocates
 * nothing after the first. Partial sums are added in block order, so the norm does not depend on
 * the thread count.
 */
public final class GradClip {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int BLOCK = 16384;
    private final IntConsumer sumTask = this::sumBlock;
    private final IntConsumer scaleTask = this::scaleBlock;
    private double[] partial = new double[0];
    private float[] g;
    private int n;
    private float scale;

    /**
     * Creates a clipper with no buffers yet (they grow on first use).
     */
    public GradClip() {
    }

    /**
     * The L2 norm of {@code g[0..n)}, summed in double per block.
     *
     * @param pool the worker team
     * @param grads the gradients
     * @param count element count
     * @return the norm
     */
    public double norm(ParallelFor pool, float[] grads, int count) {
        int blocks = (count + BLOCK - 1) / BLOCK;
        if (partial.length < blocks) {
            partial = new double[blocks];
        }
        g = grads;
        n = count;
        pool.run(blocks, sumTask);
        g = null;
        double total = 0;
        for (int k = 0; k < blocks; k++) {
            total += partial[k];
        }
        return Math.sqrt(total);
    }

    private void sumBlock(int k) {
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
        partial[k] = s;
    }

    private void scaleBlock(int k) {
        int to = Math.min(n, (k + 1) * BLOCK);
        for (int i = k * BLOCK; i < to; i++) {
            g[i] *= scale;
        }
    }

    /**
     * Scales the gradients so that their norm is at most {@code maxNorm}.
     *
     * @param pool    the worker team
     * @param grads   the gradients
     * @param count   element count
     * @param maxNorm the cap; 0 or less disables clipping (the norm is still returned)
     * @return the norm before clipping
     */
    public double clip(ParallelFor pool, float[] grads, int count, float maxNorm) {
        double norm = norm(pool, grads, count);
        if (maxNorm > 0f && norm > maxNorm) {
            scale = (float) (maxNorm / (norm + 1e-6));
            g = grads;
            n = count;
            pool.run((count + BLOCK - 1) / BLOCK, scaleTask);
            g = null;
        }
        return norm;
    }
}
