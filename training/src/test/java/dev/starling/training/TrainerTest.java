package dev.starling.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.model.Gpt;
import dev.starling.model.GptConfig;
import dev.starling.model.data.BatchSampler;
import dev.starling.model.data.DataSources;
import dev.starling.model.data.TokenDataset;
import dev.starling.optimizer.AdamWConfig;
import dev.starling.optimizer.CosineSchedule;
import dev.starling.tensor.cpu.ParallelFor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrainerTest {
    private static final String TEXT = "the quick brown fox jumps over the lazy dog. ".repeat(60);

    private static TrainConfig config(int steps, BatchSampler.Order order) {
        TokenDataset probe = DataSources.fromText(TEXT, "char", "test");
        GptConfig model = new GptConfig(probe.vocabSize(), 16, 2, 2, 16, 0f, false);
        return new TrainConfig(model, 4, 16, steps, new AdamWConfig(0.9f, 0.99f, 1e-8f, 0.1f, false),
                new CosineSchedule(1e-2f, 1e-3f, 5, steps), 1f, 20, 5, 10, 7, order);
    }

    private static List<Float> run(TrainConfig config, int threads) {
        TokenDataset data = DataSources.fromText(TEXT, "char", "test");
        List<Float> losses = new ArrayList<>();
        try (ParallelFor pool = new ParallelFor(threads); Gpt gpt = new Gpt(config.model())) {
            gpt.initGpt2(config.seed());
            try (Trainer trainer = new Trainer(config, gpt, data, pool)) {
                long[] clock = {0};
                float val = trainer.run(new TrainListener() {
                    @Override
                    public void onStep(int step, int steps, float loss, float lr, double gradNorm, long nanos) {
                        losses.add(loss);
                    }

                    @Override
                    public void onEval(int step, float valLoss) {
                    }
                }, () -> clock[0]++);
                losses.add(val);
            }
        }
        return losses;
    }

    @Test
    void lossShouldFallOnRepetitiveText() {
        List<Float> losses = run(config(60, BatchSampler.Order.RANDOM), 2);
        float first = losses.getFirst();
        float val = losses.getLast();
        assertTrue(first > 2.5f, "initial loss " + first);
        assertTrue(val < 1.5f, "validation loss after 60 steps " + val);
    }

    @Test
    void oneAndTwoThreadsShouldGiveBitIdenticalLosses() {
        assertEquals(run(config(6, BatchSampler.Order.RANDOM), 1), run(config(6, BatchSampler.Order.RANDOM), 2));
    }

    @Test
    void runsShouldBeDeterministicForASeedInEitherOrder() {
        assertEquals(run(config(8, BatchSampler.Order.RANDOM), 2), run(config(8, BatchSampler.Order.RANDOM), 2));
        assertEquals(run(config(8, BatchSampler.Order.SEQUENTIAL), 1),
                run(config(8, BatchSampler.Order.SEQUENTIAL), 1));
    }
}
