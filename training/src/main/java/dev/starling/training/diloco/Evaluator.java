package dev.starling.training.diloco;

import dev.starling.model.Activations;
import dev.starling.model.Gpt;
import dev.starling.model.GptConfig;
import dev.starling.model.data.BatchSampler;
import dev.starling.model.data.TokenDataset;
import dev.starling.tensor.cpu.ParallelFor;

/**
 * Validation loss of a parameter vector on a fixed set of validation windows (the same windows on every call and
 * for every configuration of an experiment, so losses compare). Holds its own GPT into which the vector is copied.
 * Owner: one thread; {@link #close()} frees the model.
 */
public final class Evaluator implements AutoCloseable {
    private final Gpt gpt;
    private final Activations acts;
    private final ParallelFor pool;
    private final int[][] xs;
    private final int[][] ys;
    private final int seq;

    /**
     * Draws the validation windows.
     *
     * @param model   the model's shape
     * @param data    the dataset (its validation split is used)
     * @param batch   sequences per batch
     * @param seq     tokens per sequence
     * @param batches how many batches
     * @param seed    seed of the windows
     * @param pool    the worker team (owned by the caller)
     */
    public Evaluator(final GptConfig model, final TokenDataset data, final int batch, final int seq,
                     final int batches, final long seed, final ParallelFor pool) {
        if (batches < 1) {
            throw new IllegalArgumentException("need at least one validation batch, got " + batches);
        }
        this.gpt = new Gpt(model);
        this.acts = new Activations(model, batch, seq);
        this.pool = pool;
        this.seq = seq;
        BatchSampler sampler = new BatchSampler(data.val(), batch, seq, BatchSampler.Order.RANDOM, seed);
        xs = new int[batches][batch * seq];
        ys = new int[batches][batch * seq];
        for (int b = 0; b < batches; b++) {
            sampler.next(xs[b], ys[b]);
        }
    }

    /**
     * The mean validation loss of a parameter vector.
     *
     * @param theta parameters in the model's flat layout (copied)
     * @return the mean loss over the fixed batches
     */
    public double loss(final float[] theta) {
        System.arraycopy(theta, 0, gpt.parameters().data(), 0, theta.length);
        double sum = 0;
        for (int b = 0; b < xs.length; b++) {
            sum += gpt.forward(pool, acts, xs[b], ys[b], seq, false, 0);
        }
        return sum / xs.length;
    }

    /** Frees the model. */
    @Override
    public void close() {
        gpt.close();
    }
}
