package dev.starling.training;

import dev.starling.model.Activations;
import dev.starling.model.Gpt;
import dev.starling.model.data.BatchSampler;
import dev.starling.model.data.TokenDataset;
import dev.starling.optimizer.AdamW;
import dev.starling.optimizer.GradClip;
import dev.starling.tensor.FlatBuffer;
import dev.starling.tensor.cpu.ParallelFor;
import java.util.function.LongSupplier;

/**
 * One peer's local training loop: sample a batch, forward, backward, clip, schedule, AdamW. The hot
 * loop is {@link #step}, readable top to bottom; after the first step it allocates nothing (every
 * buffer is owned here or by the model, the activations and the optimizer).
 *
 * <p>Owner: one training thread calls every method; the kernels fan out over the {@link ParallelFor}
 * it was given (owned by the caller). {@link #close()} frees the optimizer state; the model stays
 * the caller's. Time is read only through the injected clock.
 */
public final class Trainer implements AutoCloseable {
    private final TrainConfig config;
    private final Gpt gpt;
    private final TokenDataset data;
    private final ParallelFor pool;
    private final Activations acts;
    private final AdamW adamw;
    private final GradClip clip = new GradClip();
    private final BatchSampler trainBatches;
    private final int[] x;
    private final int[] y;
    private final float[] recentLosses = new float[50];
    private int step;
    private double lastGradNorm;

    /**
     * Prepares a run; allocates activations for (B,T) and the optimizer moments.
     *
     * @param config the run
     * @param gpt    the model (already initialised or loaded)
     * @param data   the dataset; its vocabulary must fit the model
     * @param pool   the worker team
     */
    public Trainer(TrainConfig config, Gpt gpt, TokenDataset data, ParallelFor pool) {
        if (data.vocabSize() > gpt.config().vocabSize()) {
            throw new IllegalArgumentException("dataset vocabulary " + data.vocabSize() + " exceeds the model's "
                    + gpt.config().vocabSize());
        }
        this.config = config;
        this.gpt = gpt;
        this.data = data;
        this.pool = pool;
        this.acts = new Activations(gpt.config(), config.batchSize(), config.seqLen());
        this.adamw = new AdamW(config.adamw(), gpt.parameters());
        this.trainBatches = new BatchSampler(data.train(), config.batchSize(), config.seqLen(), config.order(),
                config.seed());
        this.x = new int[config.batchSize() * config.seqLen()];
        this.y = new int[config.batchSize() * config.seqLen()];
    }

    /**
     * One optimizer step (the hot loop's body).
     *
     * @return this step's training loss
     */
    public float step() {
        int t = config.seqLen();
        trainBatches.next(x, y);
        gpt.zeroGrad();
        float loss = gpt.forward(pool, acts, x, y, t, true, config.seed() * 1_000_003L + step);
        gpt.backward(pool, acts, t);
        FlatBuffer grads = gpt.gradients();
        lastGradNorm = clip.clip(pool, grads.data(), grads.layout().size(), config.gradClip());
        float lr = config.schedule().lr(step);
        adamw.step(pool, gpt.parameters(), grads, lr);
        recentLosses[step % recentLosses.length] = loss;
        step++;
        return loss;
    }

    /**
     * Mean validation loss over a fixed, seeded set of random windows (the same set every call).
     *
     * @param batches how many batches
     * @return the mean loss
     */
    public float evaluate(int batches) {
        BatchSampler val = new BatchSampler(data.val(), config.batchSize(), config.seqLen(),
                BatchSampler.Order.RANDOM, config.seed() ^ 0x5EEDL);
        double sum = 0;
        for (int i = 0; i < batches; i++) {
            val.next(x, y);
            sum += gpt.forward(pool, acts, x, y, config.seqLen(), false, 0);
        }
        return (float) (sum / batches);
    }

    /**
     * Runs every remaining step with periodic and final validation.
     *
     * @param listener progress receiver
     * @param clock    nanosecond clock (System::nanoTime in production)
     * @return the final validation loss
     */
    public float run(TrainListener listener, LongSupplier clock) {
        while (step < config.steps()) {
            long start = clock.getAsLong();
            float lr = config.schedule().lr(step);
            float loss = step();
            listener.onStep(step, config.steps(), loss, lr, lastGradNorm, clock.getAsLong() - start);
            if (config.evalInterval() > 0 && step % config.evalInterval() == 0 && step < config.steps()) {
                listener.onEval(step, evaluate(config.evalBatches()));
            }
        }
        float val = evaluate(config.finalEvalBatches());
        listener.onEval(step, val);
        return val;
    }

    /**
     * Moves this loop to global step {@code step} as a peer joining a run mid-way does: the learning-rate schedule
     * and the dropout seeds continue from there, and the data sampler skips the batches the earlier steps would have
     * drawn, so a peer restarted with the same shard does not read the same windows again. The model and the AdamW
     * moments are left as they are (the caller loads the shared weights; the moments are local and start afresh).
     *
     * @param target the global step to continue from; not before the current one
     */
    public void resumeAt(int target) {
        if (target < step) {
            throw new IllegalArgumentException("cannot resume at step " + target + ", already at " + step);
        }
        while (step < target) {
            trainBatches.next(x, y);
            step++;
        }
    }

    /**
     * Steps taken so far.
     *
     * @return the step count
     */
    public int steps() {
        return step;
    }

    /**
     * The mean training loss over the last (up to 50) steps.
     *
     * @return the recent training loss, NaN before the first step
     */
    public float recentTrainLoss() {
        int n = Math.min(step, recentLosses.length);
        if (n == 0) {
            return Float.NaN;
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += recentLosses[i];
        }
        return (float) (sum / n);
    }

    /**
     * The optimizer (its moments are one flat buffer each).
     *
     * @return the AdamW instance
     */
    public AdamW optimizer() {
        return adamw;
    }

    /** Frees the optimizer state. */
    @Override
    public void close() {
        adamw.close();
    }
}
