package dev.starling.optimizer.outer;

/**
 * Settings of the CO2 outer step (Sun et al. 2024, "CO2: Efficient Distributed Training with Full
 * Communication-Computation Overlap").
 *
 * @param learningRate    outer learning rate
 * @param momentum        outer momentum β in [0, 1)
 * @param nesterov        Nesterov form ({@code θ −= lr·(g + β·m)}) instead of heavy ball ({@code θ −= lr·m}); the
 *                        authors' public code uses heavy ball
 * @param gapPenalty      constant divisor ≥ 1 applied to the stale pseudo-gradient (the authors' code divides by a
 *                        constant "gap penalty")
 * @param adaptivePenalty λ ≥ 0: additionally divide by {@code 1 + λ·||last global step|| / ||Δ||}, so a stale update
 *                        is damped more when the model moved a lot since it was computed. This is our norm-form
 *                        reading of the gap idea (Barkai et al. 2019, "Gap-Aware Mitigation of Gradient
 *                        Staleness"), not a formula copied from the CO2 paper; 0 disables it
 * @param momentumClip    element-wise bound c on the outer momentum ({@code m ← clamp(m, −c, c)});
 *                        {@link Float#POSITIVE_INFINITY} disables clipping
 */
public record Co2Config(float learningRate, float momentum, boolean nesterov, float gapPenalty,
                        float adaptivePenalty, float momentumClip) {

    /** Defaults: DiLoCo's lr 0.7 and momentum 0.9 in Nesterov form, no constant penalty, λ = 1, clip at 1e-2. */
    public static final Co2Config DEFAULTS = new Co2Config(0.7f, 0.9f, true, 1f, 1f, 1e-2f);

    /** Rejects values that cannot train, naming them. */
    public Co2Config {
        if (!(learningRate > 0f) || !Float.isFinite(learningRate)) {
            throw new IllegalArgumentException("CO2 learning rate must be finite and > 0, was " + learningRate);
        }
        if (!(momentum >= 0f && momentum < 1f)) {
            throw new IllegalArgumentException("CO2 momentum must be in [0, 1), was " + momentum);
        }
        if (!(gapPenalty >= 1f) || !Float.isFinite(gapPenalty)) {
            throw new IllegalArgumentException("CO2 gap penalty must be finite and >= 1, was " + gapPenalty);
        }
        if (!(adaptivePenalty >= 0f) || !Float.isFinite(adaptivePenalty)) {
            throw new IllegalArgumentException("CO2 adaptive penalty must be finite and >= 0, was "
                + adaptivePenalty);
        }
        if (!(momentumClip > 0f)) {
            throw new IllegalArgumentException("CO2 momentum clip must be > 0 (or +Infinity), was " + momentumClip);
        }
    }
}
