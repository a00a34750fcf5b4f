package dev.starling.training.byzantine;

import dev.starling.optimizer.outer.OuterNesterovConfig;
import dev.starling.training.TrainConfig;

/**
 * The byzantine experiment's settings. Immutable; checked once.
 *
 * @param train          each peer's inner training (model, batch, schedule; {@code steps} = rounds × H)
 * @param peers          peers in the group
 * @param innerSteps     H
 * @param rounds         outer rounds per run
 * @param tolerated      the most attackers any run has (fewer than half the peers)
 * @param tau            CenteredClip's τ (L2, per part) in the first round
 * @param tauScale       later rounds: τ = tauScale × the RMS per-part norm of the previous round's aggregate, so the
 *                       clipping radius follows the updates as they shrink (that aggregate is public and verified)
 * @param clipIterations CenteredClip's iteration cap (it stops earlier once converged to 1e-6 τ)
 * @param projections    K random directions per part in the verification
 * @param evalBatches    validation batches per evaluation
 * @param signFlipScale  λ of sign flip
 * @param noiseScale     σ of the noise attack, relative to the RMS of the honest mean update
 * @param ipmEpsilon     ε of IPM
 * @param liarShift      what a lying reducer adds to every coordinate of its part
 * @param outer          the outer optimizer
 */
public record ByzantineSettings(TrainConfig train, int peers, int innerSteps, int rounds, int tolerated, double tau,
                                double tauScale, int clipIterations, int projections, int evalBatches,
                                double signFlipScale, double noiseScale, double ipmEpsilon, float liarShift,
                                OuterNesterovConfig outer) {
    /**
     * Rejects inconsistent values.
     *
     * @throws IllegalArgumentException naming the value
     */
    public ByzantineSettings {
        if (peers < 2 || innerSteps < 1 || rounds < 1 || tolerated < 0 || 2 * tolerated >= peers) {
            throw new IllegalArgumentException("need peers >= 2, H >= 1, rounds >= 1 and 0 <= 2*tolerated < peers; got "
                + peers + ", " + innerSteps + ", " + rounds + ", " + tolerated);
        }
        if (!(tau > 0) || !(tauScale > 0) || clipIterations < 1 || projections < 1 || evalBatches < 1) {
            throw new IllegalArgumentException("need tau > 0 and positive iterations, projections, eval batches");
        }
        if (train.steps() != rounds * innerSteps) {
            throw new IllegalArgumentException("train steps " + train.steps() + " must be rounds x H = "
                + rounds * innerSteps);
        }
    }
}
