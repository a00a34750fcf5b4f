package dev.starling.training.diloco;

import dev.starling.collectives.aggregate.Mean;
import dev.starling.collectives.butterfly.ButterflyConfig;
import dev.starling.collectives.butterfly.ButterflyMember;
import dev.starling.collectives.butterfly.ButterflyResult;
import dev.starling.collectives.butterfly.PartSplit;
import dev.starling.collectives.codec.Fp32Codec;
import dev.starling.model.Activations;
import dev.starling.model.Gpt;
import dev.starling.model.data.BatchSampler;
import dev.starling.model.data.TokenDataset;
import dev.starling.optimizer.AdamW;
import dev.starling.optimizer.GradClip;
import dev.starling.tensor.FlatBuffer;
import dev.starling.tensor.cpu.ParallelFor;
import dev.starling.training.TrainConfig;
import java.util.List;

/**
 * One peer of the synchronous data-parallel baseline: every step it computes gradients on its own batch, the group
 * all-reduces them (FP32, mean) through the same butterfly as DiLoCo, and every peer clips the averaged gradient and
 * applies the identical AdamW step, so all peers keep bit-identical parameters. Built from the public model and
 * optimizer APIs (forward, backward, {@link GradClip}, {@link AdamW}, the schedule as a function of the step).
 *
 * <p>Owner: the simulation thread; {@link #close()} frees the model and the optimizer.
 */
public final class DataParallelPeer implements AutoCloseable {
    private final int index;
    private final TrainConfig config;
    private final long runIdHash;
    private final ParallelFor pool;
    private final Gpt gpt;
    private final Activations acts;
    private final AdamW adamw;
    private final GradClip clip = new GradClip();
    private final BatchSampler batches;
    private final int[] x;
    private final int[] y;
    private final float[] gradient;
    private int step;

    /**
     * Creates a peer at the run's shared initialisation.
     *
     * @param index     this peer's number (its data shard comes from it and the run seed)
     * @param config    the run's training settings; its seed is the run seed
     * @param data      the dataset
     * @param pool      the worker team (owned by the caller)
     * @param runIdHash run id hash carried by every chunk
     */
    public DataParallelPeer(final int index, final TrainConfig config, final TokenDataset data, final ParallelFor pool,
                            final long runIdHash) {
        this.index = index;
        this.config = config;
        this.runIdHash = runIdHash;
        this.pool = pool;
        this.gpt = new Gpt(config.model());
        gpt.initGpt2(config.seed());
        this.acts = new Activations(config.model(), config.batchSize(), config.seqLen());
        this.adamw = new AdamW(config.adamw(), gpt.parameters());
        this.batches = new BatchSampler(data.train(), config.batchSize(), config.seqLen(), config.order(),
            Shards.seed(config.seed(), index));
        this.x = new int[config.batchSize() * config.seqLen()];
        this.y = new int[x.length];
        this.gradient = new float[gpt.gradients().layout().size()];
    }

    /**
     * Samples this peer's next batch and computes its gradient.
     *
     * @return the batch's training loss
     */
    public float computeGradient() {
        batches.next(x, y);
        return computeGradient(x, y);
    }

    /**
     * Computes the gradient of the mean loss on a given batch.
     *
     * @param tokens  B*T inputs
     * @param targets B*T targets
     * @return the batch's training loss
     */
    public float computeGradient(final int[] tokens, final int[] targets) {
        gpt.zeroGrad();
        float loss = gpt.forward(pool, acts, tokens, targets, config.seqLen(), true,
            config.seed() * 1_000_003L + step);
        gpt.backward(pool, acts, config.seqLen());
        System.arraycopy(gpt.gradients().data(), 0, gradient, 0, gradient.length);
        return loss;
    }

    /**
     * The butterfly member that all-reduces this step's gradient (FP32, mean, no error feedback).
     *
     * @param roster    the group's members by name
     * @param deadlines the round's deadlines
     * @return the member; its update is {@link #gradient()}
     */
    public ButterflyMember beginStep(final List<String> roster, final GroupExchange.Deadlines deadlines) {
        ButterflyConfig bc = new ButterflyConfig(roster, roster.indexOf(name()), gradient.length, PartSplit.even(),
            Fp32Codec.INSTANCE, Fp32Codec.INSTANCE, new Mean(), null, null, runIdHash, step,
            deadlines.reduceNanos(), deadlines.gatherNanos());
        return new ButterflyMember(bc, null);
    }

    /**
     * This step's local gradient.
     *
     * @return the gradient (owned by this peer)
     */
    public float[] gradient() {
        return gradient;
    }

    /**
     * Clips the group's mean gradient and takes the AdamW step at this step's learning rate.
     *
     * @param result the all-reduce's result
     */
    public void applyStep(final ButterflyResult result) {
        FlatBuffer grads = gpt.gradients();
        float[] g = grads.data();
        System.arraycopy(result.aggregate(), 0, g, 0, gradient.length);
        clip.clip(pool, g, gradient.length, config.gradClip());
        adamw.step(pool, gpt.parameters(), grads, config.schedule().lr(step));
        step++;
    }

    /**
     * The parameters (identical on every peer of the group).
     *
     * @return θ
     */
    public float[] parameters() {
        return gpt.parameters().data();
    }

    /**
     * Optimizer steps taken.
     *
     * @return the step count
     */
    public int steps() {
        return step;
    }

    /**
     * The name this peer has in rosters.
     *
     * @return {@code peer-<index>}
     */
    public String name() {
        return "peer-" + index;
    }

    /** Frees the model and the optimizer. */
    @Override
    public void close() {
        adamw.close();
        gpt.close();
    }
}
