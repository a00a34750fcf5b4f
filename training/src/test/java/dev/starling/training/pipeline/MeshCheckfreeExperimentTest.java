package dev.starling.training.pipeline;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.fault.checkfree.StageFailureSchedule;
import dev.starling.fault.checkfree.Strategy;
import dev.starling.model.GptConfig;
import dev.starling.model.data.DataSources;
import dev.starling.model.data.TokenDataset;
import dev.starling.optimizer.AdamWConfig;
import dev.starling.optimizer.CosineSchedule;
import dev.starling.tensor.cpu.ParallelFor;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Stage peers on their own hosts over the in-memory transport; every stage, the ends included, is lost. */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class MeshCheckfreeExperimentTest {
    private static final int STAGES = 4;
    private static final int ITERATIONS = 24;

    @TempDir
    Path dir;

    private CheckfreeExperiment.Settings settings(GptConfig model) {
        // a failure rate of 90% per "hour" of 2 iterations: about one stage lost every other iteration
        return new CheckfreeExperiment.Settings(model, STAGES, 2, 2, ITERATIONS, ITERATIONS,
                new AdamWConfig(0.9f, 0.99f, 1e-8f, 0f, false), new CosineSchedule(3e-3f, 3e-4f, 2, ITERATIONS), 1f,
                ITERATIONS, 2, 2, 2, 5, dir.resolve("checkpoints"), 2, 11);
    }

    @ParameterizedTest
    @EnumSource(Strategy.class)
    void shouldRebuildEveryLostStageOverTheNetworkAndKeepTraining(Strategy strategy) throws Exception {
        TokenDataset data = DataSources.load("builtin:tinyshakespeare", "char", 0);
        GptConfig model = new GptConfig(data.vocabSize(), 8, 4, 2, 16, 0f, true);
        CheckfreeExperiment.Settings s = settings(model);
        StageFailureSchedule schedule = new StageFailureSchedule(STAGES, ITERATIONS, 0.9, s.stepsPerHour(),
                s.graceSteps(), s.seed() * 31 + 7);
        Set<Integer> lostStages = new HashSet<>();
        schedule.failures().forEach(f -> lostStages.add(f[1]));
        assertTrue(lostStages.containsAll(Set.of(0, 1, 2, 3)), "the pattern loses every stage: " + lostStages);
        StringBuilder log = new StringBuilder();
        try (ParallelFor pool = new ParallelFor(1)) {
            MeshCheckfreeExperiment experiment = new MeshCheckfreeExperiment(s, data, pool,
                    line -> log.append(line).append('\n'),
                    new MeshCheckfreeExperiment.Mesh(false, null, TimeUnit.SECONDS.toNanos(60)));
            CheckfreeExperiment.Outcome o = experiment.run(strategy, 90, Double.NaN, System::nanoTime);
            assertFalse(o.lost(), "run lost:\n" + log);
            assertTrue(o.failures() >= STAGES, o.failures() + " failures");
            double first = o.curve().getFirst().valLoss();
            double last = o.curve().getLast().valLoss();
            assertTrue(Double.isFinite(last), log.toString());
            if (strategy != Strategy.CHECKPOINT_RESTART) {
                assertTrue(last < first, "validation loss " + first + " -> " + last + "\n" + log);
            }
        }
    }
}
