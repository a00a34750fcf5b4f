package dev.starling.training.pipeline;

import dev.starling.fault.checkfree.OutOfOrderSchedule;
import dev.starling.fault.checkfree.RecoveryPlan;
import dev.starling.fault.checkfree.StageFailureSchedule;
import dev.starling.fault.checkfree.Strategy;
import dev.starling.model.Activations;
import dev.starling.model.Gpt;
import dev.starling.model.GptConfig;
import dev.starling.model.GptStage;
import dev.starling.model.data.TokenDataset;
import dev.starling.optimizer.AdamWConfig;
import dev.starling.optimizer.CosineSchedule;
import dev.starling.tensor.FlatBuffer;
import dev.starling.tensor.FlatLayout;
import dev.starling.tensor.TensorView;
import dev.starling.tensor.cpu.ParallelFor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The CheckFree experiment: a GPT cut into S stages trains on one failure pattern under each recovery strategy, and
 * the wall-clock time to a target validation loss is compared. One iteration is one optimizer step of every stage
 * over {@code microBatches} micro-batches; when the {@link StageFailureSchedule} says a stage loses all its peers at an
 * iteration, its weights and optimizer state are thrown away and the strategy brings it back:
 * <ul>
 *   <li>CHECKFREE: {@link StageRecovery} (weighted neighbour average; ends by copy + tied wte + fresh init);</li>
 *   <li>CHECKFREE_PLUS: the same, with out-of-order micro-batches and neighbours' copies of the ends;</li>
 *   <li>CHECKPOINT_RESTART: every stage reloads the last local checkpoint (written every {@code checkpointEvery}
 *       steps: parameters and AdamW moments) and the steps since are recomputed on the same data;</li>
 *   <li>REDUNDANT: each stage keeps a replica of the next, computes its forward too, and the lost stage copies it.</li>
 * </ul>
 * Measured: the time of training iterations, recoveries, checkpoint writes and reads (evaluations excluded), on the
 * given clock (the command uses the training thread's CPU time with one kernel thread, which equals wall-clock on an
 * idle core and stays meaningful on a loaded machine) and on the wall-clock.
 * Simulated: when failures happen (iterations, not real peers leaving) and the hops (in-process copies, no network).
 *
 * <p>Owner: the calling thread; kernels use the given worker team.
 */
public final class CheckfreeExperiment {
    private final Settings settings;
    private final TokenDataset data;
    private final ParallelFor pool;
    private final Consumer<String> progress;
    private final int[][] valX;
    private final int[][] valY;

    /**
     * The experiment's knobs.
     *
     * @param model           the GPT (nLayer divisible by stages)
     * @param stages          S
     * @param batch           B per micro-batch
     * @param microBatches    micro-batches per iteration (2 or more for CheckFree+ swapping)
     * @param steps           nominal run length (the schedule's decay length and the failure schedule's scale)
     * @param maxIterations   iterations after which a run that has not reached the target stops
     * @param adamw           optimizer
     * @param schedule        learning rate by model step
     * @param clip            gradient clip norm
     * @param evalEvery       iterations between validations
     * @param evalBatches     validation batches
     * @param stepsPerHour    iterations in one simulated hour (the failure rate is per stage per hour)
     * @param graceSteps      iterations at the start without failures
     * @param checkpointEvery steps between local checkpoints (CHECKPOINT_RESTART)
     * @param checkpointDir   where checkpoints go
     * @param swapPeriod      CheckFree+ swaps every this-th micro-batch
     * @param seed            run seed (initialisation, data order, failure pattern)
     */
    public record Settings(GptConfig model, int stages, int batch, int microBatches, int steps, int maxIterations,
                           AdamWConfig adamw, CosineSchedule schedule, float clip, int evalEvery, int evalBatches,
                           double stepsPerHour, int graceSteps, int checkpointEvery, Path checkpointDir,
                           int swapPeriod, long seed) {
    }

    /**
     * A validation point.
     *
     * @param iteration iterations run (recomputed ones included)
     * @param step      the model's optimizer step (rolls back on a checkpoint restart)
     * @param seconds   time so far on the run's clock, evaluations excluded
     * @param wallSeconds wall-clock so far, evaluations excluded
     * @param cpuSeconds CPU time so far, evaluations excluded (the training thread's in process, the whole
     *                  process's over the mesh)
     * @param valLoss   validation loss
     */
    public record Point(int iteration, int step, double seconds, double wallSeconds, double cpuSeconds,
                        double valLoss) {
    }

    /**
     * One run.
     *
     * @param name              strategy name and rate, e.g. {@code checkfree_plus@10}
     * @param strategy          the strategy, null for the run without failures
     * @param ratePercent       the stage failure rate, % per hour
     * @param curve             validation points
     * @param failures          stage failures met
     * @param lostSteps         steps thrown away by rollbacks
     * @param recoverySeconds   measured time spent recovering and checkpointing
     * @param secondsToTarget   wall-clock when the target was first reached, NaN if never
     * @param iterationsToTarget iterations when the target was first reached, -1 if never
     * @param lost              true when the run could not continue (non-finite loss)
     */
    public record Outcome(String name, Strategy strategy, int ratePercent, List<Point> curve, int failures,
                          int lostSteps, double recoverySeconds, double secondsToTarget, int iterationsToTarget,
                          boolean lost) {
    }

    /**
     * Prepares the experiment.
     *
     * @param settings the knobs
     * @param data     the dataset
     * @param pool     the worker team (the caller's)
     * @param progress receives one line per validation
     */
    public CheckfreeExperiment(Settings settings, TokenDataset data, ParallelFor pool, Consumer<String> progress) {
        if (settings.model().nLayer() % settings.stages() != 0 || settings.stages() < 2 || settings.microBatches() < 1
                || settings.evalEvery() < 1 || settings.checkpointEvery() < 1) {
            throw new IllegalArgumentException("need S >= 2 dividing " + settings.model().nLayer() + " layers and "
                    + "positive micro-batches, eval interval and checkpoint interval");
        }
        this.settings = settings;
        this.data = data;
        this.pool = pool;
        this.progress = progress;
        int n = settings.batch() * settings.model().blockSize();
        valX = new int[settings.evalBatches()][n];
        valY = new int[settings.evalBatches()][n];
        SplittableRandom r = new SplittableRandom(settings.seed() ^ 0x5EEDL);
        for (int i = 0; i < valX.length; i++) {
            fill(data.val(), r.nextLong(), valX[i], valY[i]);
        }
    }

    /** Per-run state: the pipeline and what each strategy keeps beside it. */
    private final class Run implements AutoCloseable {
        final StagedPipeline pipeline;
        final Strategy strategy;
        final FlatBuffer[] endCopies;
        final GptStage[] replicas;
        final Activations[] replicaActs;
        final float[] scratch;
        int checkpointStep;

        Run(Strategy strategy) {
            Settings s = settings;
            this.strategy = strategy;
            int seq = s.model().blockSize();
            pipeline = new StagedPipeline(s.model(), s.stages(), s.adamw(), s.batch(), seq);
            try (Gpt whole = new Gpt(s.model())) {
                whole.initGpt2(s.seed());
                for (int k = 0; k < s.stages(); k++) {
                    pipeline.worker(k).stage().loadFrom(whole.parameters());
                }
            }
            endCopies = new FlatBuffer[s.stages()];
            if (strategy == Strategy.CHECKFREE_PLUS) {
                endCopies[0] = new FlatBuffer(endLayout(pipeline.worker(0).stage()));
                endCopies[s.stages() - 1] = new FlatBuffer(endLayout(pipeline.worker(s.stages() - 1).stage()));
            }
            replicas = new GptStage[s.stages()];
            replicaActs = new Activations[s.stages()];
            scratch = new float[s.batch() * seq * s.model().nEmbd()];
            if (strategy == Strategy.REDUNDANT) {
                for (int k = 0; k < s.stages(); k++) {
                    replicas[k] = new GptStage(s.model(), (k + 1) % s.stages(), s.stages());
                    replicaActs[k] = replicas[k].newActivations(s.batch(), seq);
                }
            }
            afterStep();
        }

        /** What a stage's neighbours keep after each step: end-layer copies or whole replicas. */
        void afterStep() {
            for (int k = 0; k < endCopies.length; k++) {
                if (endCopies[k] != null) {
                    StageRecovery.copyEnds(pipeline.worker(k).stage().parameters(), endCopies[k]);
                }
                if (replicas[k] != null) {
                    replicas[k].loadFrom(pipeline.worker((k + 1) % endCopies.length).stage().parameters());
                }
            }
        }

        /** Bamboo's redundant forward: stage k also runs its replica of stage k+1 on its output (result unused). */
        void redundantForward(float[] x, int k) {
            if (k + 1 < replicas.length && replicas[k] != null) {
                replicas[k].blocksForward(pool, replicaActs[k], x, settings.model().blockSize(), true, 0, scratch);
            }
        }

        @Override
        public void close() {
            pipeline.close();
            for (int k = 0; k < replicas.length; k++) {
                if (replicas[k] != null) {
                    replicas[k].close();
                }
                if (endCopies[k] != null) {
                    endCopies[k].close();
                }
            }
        }
    }

    private static FlatLayout endLayout(GptStage stage) {
        FlatLayout.Builder b = FlatLayout.builder();
        for (TensorView v : stage.parameters().layout().views()) {
            if (!v.name().startsWith("h.")) {
                b.add(v.name(), v.shape());
            }
        }
        return b.build();
    }

    /**
     * Runs one strategy at one failure rate until the target validation loss or {@code maxIterations}; without a
     * target, for the nominal {@code steps}.
     *
     * @param strategy    the strategy, null for no failures
     * @param ratePercent stage failure rate in % per hour (ignored without a strategy)
     * @param target      the validation loss to reach (NaN: run all iterations)
     * @param clock       nanosecond clock the comparison uses (the training thread's CPU time, or wall-clock)
     * @param wallClock   nanosecond wall-clock, recorded beside it
     * @return the outcome
     */
    public Outcome run(Strategy strategy, int ratePercent, double target, LongSupplier clock, LongSupplier wallClock) {
        Settings s = settings;
        String name = strategy == null ? "no_failures" : strategy.name().toLowerCase(java.util.Locale.ROOT) + "@"
                + ratePercent;
        StageFailureSchedule failures = new StageFailureSchedule(s.stages(), s.maxIterations(),
                strategy == null ? 0 : ratePercent / 100.0, s.stepsPerHour(), s.graceSteps(), s.seed() * 31 + 7);
        OutOfOrderSchedule order = new OutOfOrderSchedule(s.stages(),
                strategy == Strategy.CHECKFREE_PLUS ? s.swapPeriod() : 0);
        List<Point> curve = new ArrayList<>();
        int n = s.batch() * s.model().blockSize();
        int[] x = new int[n];
        int[] y = new int[n];
        long nanos = 0;
        long wallNanos = 0;
        long recoveryNanos = 0;
        int step = 0;
        int failed = 0;
        int lostSteps = 0;
        double reachedAt = Double.NaN;
        int reachedIteration = -1;
        boolean lost = false;
        try (Run run = new Run(strategy)) {
            if (strategy == Strategy.CHECKPOINT_RESTART) {
                long t0 = clock.getAsLong();
                save(run, 0);
                recoveryNanos += clock.getAsLong() - t0;
                nanos += clock.getAsLong() - t0;
            }
            curve.add(new Point(0, 0, nanos / 1e9, 0, nanos / 1e9, evaluate(run.pipeline)));
            int limit = Double.isNaN(target) ? s.steps() : s.maxIterations();
            for (int it = 0; it < limit; it++) {
                long t0 = clock.getAsLong();
                long w0 = wallClock.getAsLong();
                int lostStage = failures.failedStage(it);
                if (lostStage >= 0) {
                    failed++;
                    int back = recover(run, lostStage, step, it);
                    lostSteps += step - back;
                    step = back;
                    recoveryNanos += clock.getAsLong() - t0;
                }
                double loss = 0;
                for (int mb = 0; mb < s.microBatches(); mb++) {
                    fill(data.train(), mix(s.seed(), step, mb), x, y);
                    long micro = (long) step * s.microBatches() + mb;
                    loss += run.pipeline.trainMicroBatch(pool, x, y, order.order(micro), micro,
                            strategy == Strategy.REDUNDANT ? run::redundantForward : null);
                }
                run.pipeline.step(pool, s.schedule().lr(step), s.clip());
                run.afterStep();
                step++;
                if (strategy == Strategy.CHECKPOINT_RESTART && step % s.checkpointEvery() == 0) {
                    long c0 = clock.getAsLong();
                    save(run, step);
                    recoveryNanos += clock.getAsLong() - c0;
                }
                nanos += clock.getAsLong() - t0;
                wallNanos += wallClock.getAsLong() - w0;
                if (!Double.isFinite(loss)) {
                    lost = true;
                    break;
                }
                if ((it + 1) % s.evalEvery() == 0 || it + 1 == limit) {
                    double val = evaluate(run.pipeline);
                    curve.add(new Point(it + 1, step, nanos / 1e9, wallNanos / 1e9, nanos / 1e9, val));
                    progress.accept(String.format(java.util.Locale.ROOT, "%s it %d step %d val %.4f %.1f s%s", name,
                            it + 1, step, val, nanos / 1e9, failed > 0 ? " failures " + failed : ""));
                    if (Double.isNaN(reachedAt) && val <= target) {
                        reachedAt = nanos / 1e9;
                        reachedIteration = it + 1;
                        break;
                    }
                }
            }
        }
        return new Outcome(name, strategy, strategy == null ? 0 : ratePercent, curve, failed, lostSteps,
                recoveryNanos / 1e9, reachedAt, reachedIteration, lost);
    }

    /** Brings a lost stage back; returns the model step training continues from. */
    private int recover(Run run, int lostStage, int step, int iteration) {
        StagedPipeline p = run.pipeline;
        StageWorker lost = p.worker(lostStage);
        java.util.Arrays.fill(lost.stage().parameters().data(), Float.NaN);
        lost.resetOptimizer();
        RecoveryPlan plan = RecoveryPlan.of(run.strategy, lostStage, p.stages());
        switch (plan.source()) {
            case CHECKPOINT -> {
                load(run);
                return run.checkpointStep;
            }
            case REPLICA -> {
                lost.stage().loadFrom(run.replicas[plan.neighbours()[0]].parameters());
                lost.resetOptimizer();
            }
            default -> StageRecovery.rebuild(plan, p, lostStage, plan.endLayersFrom() >= 0
                    ? run.endCopies[lostStage] : null, settings.seed() + iteration);
        }
        return step;
    }

    private void save(Run run, int step) {
        for (int k = 0; k < run.pipeline.stages(); k++) {
            StageCheckpoint.save(run.pipeline.worker(k), settings.checkpointDir().resolve("stage-" + k + ".bin"));
        }
        run.checkpointStep = step;
    }

    private void load(Run run) {
        for (int k = 0; k < run.pipeline.stages(); k++) {
            StageCheckpoint.load(run.pipeline.worker(k), settings.checkpointDir().resolve("stage-" + k + ".bin"));
        }
    }

    double evaluate(StagedPipeline p) {
        double sum = 0;
        for (int i = 0; i < valX.length; i++) {
            sum += p.evaluate(pool, valX[i], valY[i]);
        }
        return sum / valX.length;
    }

    void fill(int[] tokens, long seed, int[] x, int[] y) {
        int seq = settings.model().blockSize();
        SplittableRandom r = new SplittableRandom(seed);
        for (int b = 0; b < settings.batch(); b++) {
            int at = r.nextInt(tokens.length - seq - 1);
            System.arraycopy(tokens, at, x, b * seq, seq);
            System.arraycopy(tokens, at + 1, y, b * seq, seq);
        }
    }

    static long mix(long seed, int step, int microBatch) {
        return seed * 0x9E3779B97F4A7C15L + step * 0xC2B2AE3D27D4EB4FL + microBatch * 0x165667B19E3779F9L;
    }
}
