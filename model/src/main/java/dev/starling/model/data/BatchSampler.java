package dev.starling.model.data;

import java.util.SplittableRandom;

/**
 * Draws (B,T) input windows and their next-token targets from a token array. Random order picks
 * each window's start uniformly (nanoGPT's {@code get_batch}); sequential order reads consecutive
 * B*T windows from the start and wraps around (llm.c's loader). Deterministic for a seed.
 * Owner: one thread; it keeps a position and a random generator.
 */
public final class BatchSampler {
    /** How windows are chosen. */
    public enum Order {
        /** Uniformly random window starts. */
        RANDOM,
        /** Consecutive windows from the start, wrapping. */
        SEQUENTIAL
    }

    private final int[] tokens;
    private final int batch;
    private final int seq;
    private final Order order;
    private final SplittableRandom random;
    private int position;

    /**
     * Creates a sampler.
     *
     * @param tokens the token array (not copied; must not change)
     * @param batch  B
     * @param seq    T
     * @param order  random or sequential
     * @param seed   the seed of the random order
     * @throws IllegalArgumentException if the array is shorter than T + 1
     */
    public BatchSampler(int[] tokens, int batch, int seq, Order order, long seed) {
        if (tokens.length < seq + 1) {
            throw new IllegalArgumentException("need at least " + (seq + 1) + " tokens, have " + tokens.length);
        }
        this.tokens = tokens;
        this.batch = batch;
        this.seq = seq;
        this.order = order;
        this.random = new SplittableRandom(seed);
    }

    /**
     * Fills the next batch.
     *
     * @param x inputs, B*T
     * @param y targets, B*T (x shifted by one)
     */
    public void next(int[] x, int[] y) {
        for (int b = 0; b < batch; b++) {
            int start;
            if (order == Order.RANDOM) {
                start = random.nextInt(tokens.length - seq);
            } else {
                if (position + seq + 1 > tokens.length) {
                    position = 0;
                }
                start = position;
                position += seq;
            }
            System.arraycopy(tokens, start, x, b * seq, seq);
            System.arraycopy(tokens, start + 1, y, b * seq, seq);
        }
    }
}
