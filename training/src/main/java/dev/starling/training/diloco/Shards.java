package dev.starling.training.diloco;

import dev.starling.training.TrainConfig;

/**
 * Which data each peer reads: the training split sampled in random windows from a seed derived from the run seed
 * and the peer's index, so the shards are independent and reproducible (an iid split, as in DiLoCo's main
 * experiments). Model initialisation keeps the run seed, so every peer starts from the same θ. Stateless.
 */
public final class Shards {
    private Shards() {
    }

    /**
     * The data seed of one peer.
     *
     * @param runSeed the run's seed
     * @param peer    the peer's index
     * @return a seed that differs per peer
     */
    public static long seed(final long runSeed, final int peer) {
        long z = runSeed * 0x9E3779B97F4A7C15L + (peer + 1) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 30)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * The inner loop's config for one peer: the run's, with the peer's data seed.
     *
     * @param run  the run's inner config (its seed is the run seed)
     * @param peer the peer's index
     * @return the peer's config
     */
    public static TrainConfig forPeer(final TrainConfig run, final int peer) {
        return new TrainConfig(run.model(), run.batchSize(), run.seqLen(), run.steps(), run.adamw(), run.schedule(),
            run.gradClip(), run.evalInterval(), run.evalBatches(), run.finalEvalBatches(), seed(run.seed(), peer),
            run.order());
    }
}
