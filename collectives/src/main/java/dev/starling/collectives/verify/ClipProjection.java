package dev.starling.collectives.verify;

/**
 * What a member publishes about one part after the all-gather: the projections of its clipped difference to the
 * aggregate onto the round's shared random directions, and the distance itself.
 *
 * @param projections {@code s_k = min(1, τ/||x − v||) · <z_k, x − v>} for each shared direction {@code z_k}
 * @param distance    {@code ||x − v||}
 */
public record ClipProjection(double[] projections, double distance) {
}
