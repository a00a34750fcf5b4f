package dev.starling.training.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.fault.checkfree.RecoveryPlan;
import dev.starling.fault.checkfree.Strategy;
import dev.starling.model.Gpt;
import dev.starling.model.GptConfig;
import dev.starling.model.GptStage;
import dev.starling.model.data.DataSources;
import dev.starling.model.data.TokenDataset;
import dev.starling.optimizer.AdamWConfig;
import dev.starling.optimizer.CosineSchedule;
import dev.starling.tensor.FlatBuffer;
import dev.starling.tensor.FlatLayout;
import dev.starling.tensor.TensorView;
import dev.starling.tensor.cpu.ParallelFor;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StageRecoveryTest {
    private static final GptConfig CONFIG = new GptConfig(20, 8, 4, 2, 16, 0f, true);
    private static final AdamWConfig ADAMW = new AdamWConfig(0.9f, 0.99f, 1e-8f, 0f, false);

    private static StagedPipeline pipeline() {
        StagedPipeline p = new StagedPipeline(CONFIG, 4, ADAMW, 2, 8);
        try (Gpt whole = new Gpt(CONFIG)) {
            whole.initGpt2(3);
            for (int s = 0; s < 4; s++) {
                p.worker(s).stage().loadFrom(whole.parameters());
            }
        }
        return p;
    }

    private static float[] blocks(GptStage s) {
        int[] r = s.blockRange();
        return Arrays.copyOfRange(s.parameters().data(), r[0], r[0] + r[1]);
    }

    @Test
    void shouldRebuildAnIntermediateStageAsTheAverageOfItsNeighbours() {
        try (StagedPipeline p = pipeline()) {
            float[] prev = blocks(p.worker(0).stage());
            float[] next = blocks(p.worker(2).stage());
            Arrays.fill(p.worker(1).stage().parameters().data(), Float.NaN);
            StageRecovery.rebuild(RecoveryPlan.of(Strategy.CHECKFREE, 1, 4), p, 1, null, 1);
            float[] rebuilt = blocks(p.worker(1).stage());
            for (int i = 0; i < rebuilt.length; i++) {
                assertEquals((prev[i] + next[i]) / 2, rebuilt[i], 1e-6f, "no steps yet: uniform weights");
            }
        }
    }

    @Test
    void shouldRestoreTheFirstStagesEmbeddingsFromTheNeighboursCopyUnderCheckFreePlus() {
        try (StagedPipeline p = pipeline()) {
            GptStage first = p.worker(0).stage();
            FlatLayout.Builder b = FlatLayout.builder();
            for (TensorView v : first.parameters().layout().views()) {
                if (!v.name().startsWith("h.")) {
                    b.add(v.name(), v.shape());
                }
            }
            try (FlatBuffer copy = new FlatBuffer(b.build())) {
                StageRecovery.copyEnds(first.parameters(), copy);
                float[] wpe = slice(first, "wpe");
                Arrays.fill(first.parameters().data(), Float.NaN);
                StageRecovery.rebuild(RecoveryPlan.of(Strategy.CHECKFREE_PLUS, 0, 4), p, 0, copy, 1);
                assertArrayEquals(wpe, slice(first, "wpe"));
                assertArrayEquals(blocks(p.worker(1).stage()), blocks(first), "blocks copied from stage 1");
            }
            float[] lastWte = slice(p.worker(3).stage(), "wte");
            Arrays.fill(first.parameters().data(), Float.NaN);
            StageRecovery.rebuild(RecoveryPlan.of(Strategy.CHECKFREE, 0, 4), p, 0, null, 1);
            assertArrayEquals(lastWte, slice(first, "wte"), "plain CheckFree takes wte from the tied copy");
            for (float v : first.parameters().data()) {
                assertFalse(Float.isNaN(v));
            }
        }
    }

    private static float[] slice(GptStage s, String name) {
        TensorView v = s.parameters().layout().view(name);
        return Arrays.copyOfRange(s.parameters().data(), v.offset(), v.offset() + v.size());
    }

    @Test
    void shouldKeepEveryStrategyRunningThroughFrequentStageFailures(@TempDir Path dir) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 400; i++) {
            text.append("to be or not to be, that is the question. ");
        }
        TokenDataset data = DataSources.fromText(text.toString(), "char", "test");
        GptConfig model = new GptConfig(data.vocabSize(), 8, 4, 2, 16, 0f, true);
        CheckfreeExperiment.Settings settings = new CheckfreeExperiment.Settings(model, 4, 2, 2, 24, 24, ADAMW,
                new CosineSchedule(3e-3f, 3e-4f, 2, 24), 1f, 6, 2, 4, 2, 5, dir, 2, 9);
        try (ParallelFor pool = new ParallelFor(1)) {
            CheckfreeExperiment experiment = new CheckfreeExperiment(settings, data, pool, line -> { });
            for (Strategy s : Strategy.values()) {
                CheckfreeExperiment.Outcome o = experiment.run(s, 50, 0.0, () -> 0L, () -> 0L);
                assertFalse(o.lost(), s + " lost the run");
                assertTrue(o.failures() > 0, s + " met no failure");
                assertEquals(24, o.curve().getLast().iteration(), s + " ran every iteration");
                assertTrue(Double.isFinite(o.curve().getLast().valLoss()));
                assertEquals(s == Strategy.CHECKPOINT_RESTART, o.lostSteps() > 0, s + " lost steps " + o.lostSteps());
            }
        }
    }
}
