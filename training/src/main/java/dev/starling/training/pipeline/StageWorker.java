package dev.starling.training.pipeline;

import dev.starling.model.GptStage;
import dev.starling.optimizer.AdamW;
import dev.starling.optimizer.AdamWConfig;
import dev.starling.optimizer.GradClip;
import dev.starling.tensor.cpu.ParallelFor;

/**
 * One peer's optimizer side of a pipeline stage: it accumulates the gradients of the micro-batches it served and,
 * on {@link #step}, averages them, clips, remembers the gradient norm (CheckFree weights a rebuilt stage's
 * neighbours by it) and takes one AdamW step. A rebuilt stage starts with fresh optimizer moments
 * ({@link #resetOptimizer}).
 *
 * <p>Owner: the stage's compute thread; not thread-safe. {@link #close()} frees the optimizer and the stage.
 */
public final class StageWorker implements AutoCloseable {
    private final GptStage stage;
    private final AdamWConfig adamwConfig;
    private final GradClip clip = new GradClip();
    private AdamW adamw;
    private int accumulated;
    private double lastGradNorm = Double.NaN;
    private long steps;

    /**
     * Wraps a stage.
     *
     * @param stage       the stage (owned from now on)
     * @param adamwConfig the optimizer
     */
    public StageWorker(GptStage stage, AdamWConfig adamwConfig) {
        this.stage = stage;
        this.adamwConfig = adamwConfig;
        this.adamw = new AdamW(adamwConfig, stage.parameters());
    }

    /**
     * The stage.
     *
     * @return the stage
     */
    public GptStage stage() {
        return stage;
    }

    /** Counts one micro-batch whose backward accumulated into the stage's gradients. */
    public void accumulated() {
        accumulated++;
    }

    /**
     * Micro-batches accumulated since the last step.
     *
     * @return the count
     */
    public int pending() {
        return accumulated;
    }

    /**
     * Averages the accumulated gradients over the micro-batches, clips them and takes one AdamW step; does nothing
     * when none accumulated.
     *
     * @param pool    the worker team
     * @param lr      the learning rate
     * @param maxNorm the clip norm (0 for none)
     * @return the gradient norm before clipping, or NaN when no step was taken
     */
    public double step(ParallelFor pool, float lr, float maxNorm) {
        if (accumulated == 0) {
            return Double.NaN;
        }
        float[] g = stage.gradients().data();
        int n = stage.gradients().layout().size();
        if (accumulated > 1) {
            float scale = 1f / accumulated;
            for (int i = 0; i < n; i++) {
                g[i] *= scale;
            }
        }
        lastGradNorm = maxNorm > 0 ? clip.clip(pool, g, n, maxNorm) : clip.norm(pool, g, n);
        adamw.step(pool, stage.parameters(), stage.gradients(), lr);
        stage.zeroGrad();
        accumulated = 0;
        steps++;
        return lastGradNorm;
    }

    /**
     * The gradient norm of the last step (before clipping).
     *
     * @return the norm, NaN before the first step
     */
    public double lastGradNorm() {
        return lastGradNorm;
    }

    /**
     * Optimizer steps taken by this worker.
     *
     * @return the count
     */
    public long steps() {
        return steps;
    }

    /** Drops the optimizer moments and pending gradients, as a freshly rebuilt stage has none. */
    public void resetOptimizer() {
        adamw.close();
        adamw = new AdamW(adamwConfig, stage.parameters());
        stage.zeroGrad();
        accumulated = 0;
    }

    /**
     * The optimizer (for checkpoints).
     *
     * @return the AdamW instance
     */
    public AdamW optimizer() {
        return adamw;
    }

    /** Frees the optimizer state and the stage. */
    @Override
    public void close() {
        adamw.close();
        stage.close();
    }
}
