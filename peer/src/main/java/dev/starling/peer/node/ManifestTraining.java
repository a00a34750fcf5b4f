package dev.starling.peer.node;

import dev.starling.model.BadInputException;
import dev.starling.model.GptConfig;
import dev.starling.model.data.BatchSampler;
import dev.starling.model.data.DataSources;
import dev.starling.model.data.TokenDataset;
import dev.starling.optimizer.AdamWConfig;
import dev.starling.optimizer.CosineSchedule;
import dev.starling.peer.cli.UserError;
import dev.starling.protocol.manifest.RunManifest;
import dev.starling.training.TrainConfig;

/**
 * Turns a run manifest into what one peer's local training needs: its dataset and a {@link TrainConfig}.
 * The manifest's {@code [inner]} schedule spans {@code totalSteps}; each peer's batch order is seeded from
 * the run seed and the peer's index so shards differ between peers but are reproducible.
 */
public final class ManifestTraining {
    private ManifestTraining() {
    }

    /**
     * Loads the manifest's dataset.
     *
     * @param manifest     the run
     * @param dataOverride a local path to use instead of the manifest's source, or null
     * @return the dataset
     * @throws UserError if the data cannot be loaded
     */
    public static TokenDataset dataset(RunManifest manifest, String dataOverride) {
        String source = dataOverride != null ? dataOverride : manifest.data().source();
        try {
            return DataSources.load(source, manifest.data().tokenizer(), 0);
        } catch (BadInputException e) {
            throw new UserError(e.getMessage(), e);
        }
    }

    /**
     * The local training configuration.
     *
     * @param manifest   the run
     * @param dataset    the loaded dataset (its vocabulary sizes the model)
     * @param totalSteps inner steps the schedule spans
     * @param shardSeed  seed of this peer's batch order
     * @return the configuration
     */
    public static TrainConfig config(RunManifest manifest, TokenDataset dataset, int totalSteps, long shardSeed) {
        RunManifest.Model m = manifest.model();
        RunManifest.Inner in = manifest.inner();
        GptConfig model = new GptConfig(dataset.vocabSize(), m.blockSize(), m.layers(), m.heads(), m.channels(),
                (float) m.dropout(), m.bias());
        dataset.requireWindow(m.blockSize());
        int warmup = Math.min(in.warmupSteps(), totalSteps);
        return new TrainConfig(model, manifest.data().batchSize(), m.blockSize(), totalSteps,
                new AdamWConfig((float) in.beta1(), (float) in.beta2(), 1e-8f, (float) in.weightDecay(), false),
                new CosineSchedule((float) in.lr(), (float) in.minLr(), warmup, Math.max(warmup, totalSteps)),
                (float) in.gradClip(), 0, 20, 50, shardSeed, BatchSampler.Order.RANDOM);
    }
}
