package dev.starling.training.diloco;

import dev.starling.collectives.aggregate.Aggregator;
import dev.starling.collectives.aggregate.Mean;
import dev.starling.collectives.codec.UpdateCodec;
import dev.starling.model.GptConfig;
import dev.starling.model.data.BatchSampler;
import dev.starling.model.data.DataSources;
import dev.starling.model.data.TokenDataset;
import dev.starling.optimizer.AdamWConfig;
import dev.starling.optimizer.CosineSchedule;
import dev.starling.optimizer.outer.Co2Config;
import dev.starling.optimizer.outer.OuterNesterovConfig;
import dev.starling.training.TrainConfig;

/** Shared fixtures: a tiny GPT on a slice of the built-in text. */
final class TinyRun {
    static final TokenDataset DATA = DataSources.fromText(DataSources.builtinText().substring(0, 20_000), "char",
        "tiny shakespeare slice");
    static final GptConfig MODEL = new GptConfig(DATA.vocabSize(), 8, 1, 2, 16, 0f, true);
    static final long RUN_ID = 0x5EED_0001L;

    private TinyRun() {
    }

    static TrainConfig train(final int batch, final int steps) {
        return new TrainConfig(MODEL, batch, 8, steps, new AdamWConfig(0.9f, 0.99f, 1e-8f, 0.1f, false),
            new CosineSchedule(1e-2f, 1e-3f, 2, steps), 1f, 0, 1, 1, 7, BatchSampler.Order.RANDOM);
    }

    static OuterConfig outer(final int h, final UpdateCodec codec, final UpdateCodec aggregateCodec,
                             final Aggregator aggregator) {
        return new OuterConfig(h, OuterNesterovConfig.DILOCO, null, codec, aggregateCodec, aggregator, true);
    }

    static OuterConfig co2(final int h, final UpdateCodec codec) {
        return new OuterConfig(h, OuterNesterovConfig.DILOCO, Co2Config.DEFAULTS, codec, codec, new Mean(), true);
    }
}
