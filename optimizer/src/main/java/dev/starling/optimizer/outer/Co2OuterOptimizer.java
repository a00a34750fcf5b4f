package dev.starling.optimizer.outer;

/**
 * The CO2 outer step: the all-reduce of round r's pseudo-gradient runs while round r+1's inner steps compute, so
 * the group's average {@code Δ̄_r} is applied one round late. Two measures keep the stale update stable:
 *
 * <ul>
 *   <li><b>staleness gap penalty</b>: {@code g = Δ̄_r / p} with
 *       {@code p = gapPenalty · (1 + λ·||θ_g − θ_g'|| / ||Δ̄_r||)}, where {@code θ_g − θ_g'} is the last global step
 *       (how far the model moved since Δ̄_r's base);</li>
 *   <li><b>outer momentum clipping</b>: {@code m ← clamp(β·m + g, −c, c)} element-wise.</li>
 * </ul>
 *
 * then {@code θ_g ← θ_g − lr·(g + β·m)} (Nesterov) or {@code θ_g ← θ_g − lr·m} (heavy ball).
 *
 * <p>A peer's loop with overlap, at the end of inner round k (every array one flat buffer):
 *
 * <pre>
 *   Δ_k = roundStart − θ_local; start the all-reduce of Δ_k    (background, overlaps round k+1)
 *   Δ̄_{k−1} ← result of the all-reduce started one round ago
 *   step(θ_g, Δ̄_{k−1})                                        (θ_g: the shared, bit-identical global)
 *   rebaseLocal(θ_local, roundStart, θ_g)                     (θ_local ← θ_g + round k's own progress)
 *   run round k+1's H inner steps on θ_local
 * </pre>
 *
 * <p>Rebasing keeps round k's inner progress instead of discarding it: that progress is not in θ_g yet, and
 * enters it through Δ̄_k one round later. Deterministic like {@link OuterNesterov}: norms are accumulated
 * in double in index order and each element uses the same float operations, so peers stay bit-identical. Owns its
 * momentum; not thread-safe.
 */
public final class Co2OuterOptimizer {
    private final Co2Config config;
    private final float[] momentum;
    private double lastStepNorm;

    /**
     * What one step did, for telemetry.
     *
     * @param penalty      the divisor p applied to Δ̄
     * @param clipped      momentum elements clamped this step
     * @param stepNorm     L2 norm of the change to θ_g
     */
    public record Step(double penalty, int clipped, double stepNorm) {
    }

    /**
     * Creates the optimizer with zero momentum.
     *
     * @param length elements in the parameter buffer
     * @param config CO2 settings
     */
    public Co2OuterOptimizer(final int length, final Co2Config config) {
        if (length < 0) {
            throw new IllegalArgumentException("length must be >= 0, was " + length);
        }
        this.config = config;
        this.momentum = new float[length];
    }

    /**
     * Applies the stale aggregated pseudo-gradient of the previous round to θ_g in place.
     *
     * @param thetaGlobal   θ_g, updated in place
     * @param staleAverage  Δ̄ of the previous round, finite
     * @return what the step did
     */
    public Step step(final float[] thetaGlobal, final float[] staleAverage) {
        if (thetaGlobal.length != momentum.length || staleAverage.length != momentum.length) {
            throw new IllegalArgumentException("expected " + momentum.length + " elements, got theta "
                + thetaGlobal.length + " and update " + staleAverage.length);
        }
        double deltaNorm = 0;
        for (float v : staleAverage) {
            deltaNorm += (double) v * v;
        }
        deltaNorm = Math.sqrt(deltaNorm);
        double penalty = config.gapPenalty();
        if (deltaNorm > 0) {
            penalty *= 1.0 + config.adaptivePenalty() * lastStepNorm / deltaNorm;
        }
        float inv = (float) (1.0 / penalty);
        float beta = config.momentum();
        float lr = config.learningRate();
        float c = config.momentumClip();
        int clipped = 0;
        double moved = 0;
        for (int i = 0; i < thetaGlobal.length; i++) {
            float g = staleAverage[i] * inv;
            float m = beta * momentum[i] + g;
            if (m > c) {
                m = c;
                clipped++;
            } else if (m < -c) {
                m = -c;
                clipped++;
            }
            momentum[i] = m;
            float update = config.nesterov() ? lr * (g + beta * m) : lr * m;
            float before = thetaGlobal[i];
            thetaGlobal[i] = before - update;
            double d = (double) thetaGlobal[i] - before;
            moved += d * d;
        }
        lastStepNorm = Math.sqrt(moved);
        return new Step(penalty, clipped, lastStepNorm);
    }

    /**
     * Moves the local weights onto the new global without losing the inner progress made since
     * {@code roundStart}: {@code θ_local ← θ_g + (θ_local − roundStart)}, then {@code roundStart ← θ_local}.
     *
     * @param thetaLocal  this peer's weights, updated in place
     * @param roundStart  the local weights when the current inner round began; updated to the rebased weights
     * @param thetaGlobal the new θ_g
     */
    public static void rebaseLocal(final float[] thetaLocal, final float[] roundStart, final float[] thetaGlobal) {
        if (thetaLocal.length != roundStart.length || thetaGlobal.length != roundStart.length) {
            throw new IllegalArgumentException("lengths differ: local " + thetaLocal.length + ", start "
                + roundStart.length + ", global " + thetaGlobal.length);
        }
        for (int i = 0; i < thetaLocal.length; i++) {
            float rebased = thetaGlobal[i] + (thetaLocal[i] - roundStart[i]);
            thetaLocal[i] = rebased;
            roundStart[i] = rebased;
        }
    }

    /** @return a copy of the momentum buffer */
    public float[] momentum() {
        return momentum.clone();
    }

    /**
     * Restores state from a checkpoint or a peer.
     *
     * @param values       momentum, same length
     * @param lastStepNorm the norm of the last global step (part of the shared state: it sets the next penalty)
     */
    public void restore(final float[] values, final double lastStepNorm) {
        if (values.length != momentum.length) {
            throw new IllegalArgumentException("momentum of " + values.length + " for " + momentum.length);
        }
        System.arraycopy(values, 0, momentum, 0, values.length);
        this.lastStepNorm = lastStepNorm;
    }

    /** @return the norm of the last global step */
    public double lastStepNorm() {
        return lastStepNorm;
    }
}
