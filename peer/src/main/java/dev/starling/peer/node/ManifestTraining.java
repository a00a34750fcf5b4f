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
import dev.starling.training.diloco.OuterConfig;
import dev.starling.collectives.aggregate.Aggregator;
import dev.starling.collectives.aggregate.CenteredClip;
import dev.starling.collectives.aggregate.CoordinateMedian;
import dev.starling.collectives.aggregate.Krum;
import dev.starling.collectives.aggregate.Mean;
import dev.starling.collectives.aggregate.TrimmedMean;
import dev.starling.collectives.codec.BlockQuantCodec;
import dev.starling.collectives.codec.Fp32Codec;
import dev.starling.collectives.codec.HalfFloatCodec;
import dev.starling.collectives.codec.TopKCodec;
import dev.starling.collectives.codec.UpdateCodec;
import dev.starling.optimizer.outer.Co2Config;
import dev.starling.optimizer.outer.OuterNesterovConfig;

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

    /**
     * The outer round's settings: H, the outer optimizer, the codec and the aggregator.
     *
     * @param manifest the run
     * @return the outer configuration
     */
    public static OuterConfig outer(RunManifest manifest) {
        RunManifest.Outer o = manifest.outer();
        RunManifest.Codec c = manifest.codec();
        UpdateCodec codec = switch (c.name()) {
            case "fp32" -> Fp32Codec.INSTANCE;
            case "fp16" -> HalfFloatCodec.FP16;
            case "bf16" -> HalfFloatCodec.BF16;
            case "int8" -> BlockQuantCodec.int8(c.blockSize());
            case "int4" -> BlockQuantCodec.int4(c.blockSize());
            case "topk" -> new TopKCodec(c.topkFraction());
            default -> throw new UserError("codec " + c.name() + " is not supported by this peer");
        };
        RunManifest.Aggregator a = manifest.aggregator();
        int maxGroup = manifest.group().maxSize();
        Aggregator aggregator = switch (a.name()) {
            case "mean" -> new Mean();
            case "median" -> new CoordinateMedian();
            case "trimmed-mean" -> new TrimmedMean((int) Math.floor(a.trim() * maxGroup));
            case "krum" -> new Krum(Math.max(0, (maxGroup - 3) / 2), 1);
            case "centered-clip" -> new CenteredClip(a.tau(), a.iterations(), 1e-6);
            default -> throw new UserError("aggregator " + a.name() + " is not supported by this peer");
        };
        boolean co2 = "co2".equals(o.optimizer());
        return new OuterConfig(manifest.inner().steps(), new OuterNesterovConfig((float) o.lr(), (float) o.momentum()),
                co2 ? new Co2Config((float) o.lr(), (float) o.momentum(), true, (float) o.stalenessPenalty(), 0f,
                        (float) o.momentumClip()) : null,
                codec, Fp32Codec.INSTANCE, aggregator, c.errorFeedback());
    }
}
