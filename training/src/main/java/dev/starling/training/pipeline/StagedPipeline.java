package dev.starling.training.pipeline;

import dev.starling.model.Activations;
import dev.starling.model.GptConfig;
import dev.starling.model.GptStage;
import dev.starling.optimizer.AdamWConfig;
import dev.starling.tensor.cpu.ParallelFor;

/**
 * S stages of one GPT run in this thread, one {@link StageWorker} each: the micro-batch loop of a pipeline with one
 * peer per stage, with the hops as flat-array copies instead of streams. Micro-batches may visit the stages' blocks
 * in any order ({@link #trainMicroBatch}); the embedding always runs first and the head last. The recovery
 * experiment drives it; {@link StageServer} runs the same {@link GptStage} parts behind the p2p protocol.
 *
 * <p>Owner: one thread; {@link #close()} frees every stage.
 */
public final class StagedPipeline implements AutoCloseable {
    private final GptConfig config;
    private final StageWorker[] workers;
    private final Activations[] acts;
    private final int batch;
    private final int seq;
    private final float[] x;
    private final float[] d;

    /**
     * Allocates S stages (zeroed; load weights with {@code stage(s).loadFrom}).
     *
     * @param config the whole model
     * @param stages S
     * @param adamw  each stage's optimizer
     * @param batch  B per micro-batch
     * @param seq    T
     */
    public StagedPipeline(GptConfig config, int stages, AdamWConfig adamw, int batch, int seq) {
        this.config = config;
        this.batch = batch;
        this.seq = seq;
        workers = new StageWorker[stages];
        acts = new Activations[stages];
        for (int s = 0; s < stages; s++) {
            workers[s] = new StageWorker(new GptStage(config, s, stages), adamw);
            acts[s] = workers[s].stage().newActivations(batch, seq);
        }
        x = new float[batch * seq * config.nEmbd()];
        d = new float[x.length];
    }

    /**
     * One micro-batch forward and backward; gradients accumulate in every stage.
     *
     * @param pool    the worker team
     * @param tokens  B*T tokens
     * @param targets B*T targets
     * @param order   the order of the stages' blocks, a permutation of 0..S-1
     * @param seed    the dropout seed
     * @param extra   called after each stage's blocks with (stage, its output), e.g. for redundant computation;
     *                may be null
     * @return the micro-batch's loss
     */
    public float trainMicroBatch(ParallelFor pool, int[] tokens, int[] targets, int[] order, long seed,
                                 java.util.function.ObjIntConsumer<float[]> extra) {
        int last = workers.length - 1;
        workers[0].stage().embedForward(pool, acts[0], tokens, seq, true, seed, x);
        for (int k : order) {
            workers[k].stage().blocksForward(pool, acts[k], x, seq, true, seed, x);
            if (extra != null) {
                extra.accept(x, k);
            }
        }
        float loss = workers[last].stage().headForward(pool, acts[last], x, targets, seq);
        workers[last].stage().headBackward(pool, acts[last], seq, d);
        for (int i = order.length - 1; i >= 0; i--) {
            workers[order[i]].stage().blocksBackward(pool, acts[order[i]], d, seq, d);
        }
        workers[0].stage().embedBackward(pool, acts[0], d, seq);
        for (StageWorker w : workers) {
            w.accumulated();
        }
        return loss;
    }

    /**
     * Sums the tied embedding's gradient over its two copies, then steps every stage's optimizer.
     *
     * @param pool    the worker team
     * @param lr      the learning rate
     * @param maxNorm the clip norm
     */
    public void step(ParallelFor pool, float lr, float maxNorm) {
        GptStage.syncTiedGradients(workers[0].stage(), workers[workers.length - 1].stage());
        for (StageWorker w : workers) {
            w.step(pool, lr, maxNorm);
        }
    }

    /**
     * Mean loss of the stages in order, without dropout and without touching gradients.
     *
     * @param pool    the worker team
     * @param tokens  B*T tokens
     * @param targets B*T targets
     * @return the loss
     */
    public float evaluate(ParallelFor pool, int[] tokens, int[] targets) {
        int last = workers.length - 1;
        workers[0].stage().embedForward(pool, acts[0], tokens, seq, false, 0, x);
        for (int s = 0; s <= last; s++) {
            workers[s].stage().blocksForward(pool, acts[s], x, seq, false, 0, x);
        }
        return workers[last].stage().headForward(pool, acts[last], x, targets, seq);
    }

    /**
     * A stage's worker.
     *
     * @param s the stage
     * @return its worker
     */
    public StageWorker worker(int s) {
        return workers[s];
    }

    /**
     * S.
     *
     * @return the number of stages
     */
    public int stages() {
        return workers.length;
    }

    /**
     * The model's shape.
     *
     * @return the config
     */
    public GptConfig config() {
        return config;
    }

    /**
     * B per micro-batch.
     *
     * @return the batch size
     */
    public int batch() {
        return batch;
    }

    /** Frees every stage. */
    @Override
    public void close() {
        for (StageWorker w : workers) {
            w.close();
        }
    }
}
