package dev.starling.tensor.ops;

import dev.starling.tensor.cpu.ParallelFor;
import java.util.function.IntConsumer;

/**
 * Inverted dropout with a counter-based mask: element {@code i} is kept iff
 * {@code hash(seed, i) >= p}, and kept values are scaled by {@code 1/(1-p)}. Because the mask is
 * a pure function of {@code (seed, i)}, forward saves nothing and backward is the same call on
 * the gradient with the same seed. Deterministic for a seed, whatever the thread count.
 * Thread: the pool's owner thread.
 */
public final class Dropout {
    private static final int BLOCK = 4096;
    private static final ThreadLocal<Task> TASKS = ThreadLocal.withInitial(Task::new);

    private Dropout() {
    }

    /**
     * Applies the mask in place (forward on activations, backward on their gradient).
     *
     * @param pool the worker team
     * @param x    the array
     * @param off  first element
     * @param n    element count
     * @param p    drop probability in {@code [0,1)}; 0 leaves x unchanged
     * @param seed the mask's seed (use a fresh one per step and per site)
     */
    public static void apply(ParallelFor pool, float[] x, int off, int n, float p, long seed) {
        if (p <= 0f) {
            return;
        }
        Task k = TASKS.get();
        k.x = x;
        k.off = off;
        k.n = n;
        k.p = p;
        k.seed = seed;
        pool.run((n + BLOCK - 1) / BLOCK, k);
        k.x = null;
    }

    /** The arguments of one call, reused by its owner thread so that a call allocates nothing. */
    private static final class Task implements IntConsumer {
        private float[] x;
        private int off;
        private int n;
        private float p;
        private long seed;

        @Override
        public void accept(int k) {
            float scale = 1f / (1f - p);
            int to = Math.min(n, (k + 1) * BLOCK);
            for (int i = k * BLOCK; i < to; i++) {
                x[off + i] = keep(seed, i, p) ? x[off + i] * scale : 0f;
            }
        }
    }

    /**
     * Whether element {@code i} survives.
     *
     * @param seed the mask's seed
     * @param i    the element index
     * @param p    drop probability
     * @return true if kept
     */
    public static boolean keep(long seed, long i, float p) {
        long z = seed + (i + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        double u = (z >>> 11) * 0x1.0p-53;
        return u >= p;
    }
}
