package dev.starling.optimizer.outer;

/**
 * DiLoCo's outer step over one flat parameter buffer: Nesterov SGD on the pseudo-gradient
 * {@code Δ = θ_global − θ_local} (averaged over the group), in PyTorch's formulation:
 *
 * <pre>
 *   m ← μ·m + Δ
 *   θ ← θ − lr·(Δ + μ·m)
 * </pre>
 *
 * <p>Bit parity: every element is computed in float with the same operations in the same order (Java forbids
 * fusing them), so peers that start from the same θ and m and apply the same Δ hold the same bytes afterwards.
 *
 * <p>Owns its momentum buffer; not thread-safe (the peer's training thread calls it between rounds).
 */
public final class OuterNesterov {
    private final OuterNesterovConfig config;
    private final float[] momentum;

    /**
     * Creates the optimizer with zero momentum.
     *
     * @param length elements in the parameter buffer
     * @param config learning rate and momentum
     */
    public OuterNesterov(final int length, final OuterNesterovConfig config) {
        if (length < 0) {
            throw new IllegalArgumentException("length must be >= 0, was " + length);
        }
        this.config = config;
        this.momentum = new float[length];
    }

    /**
     * Writes the pseudo-gradient {@code out = θ_global − θ_local}.
     *
     * @param thetaGlobal the round's starting (shared) parameters
     * @param thetaLocal  this peer's parameters after its inner steps
     * @param out         destination, may alias neither input
     */
    public static void pseudoGradient(final float[] thetaGlobal, final float[] thetaLocal, final float[] out) {
        if (thetaGlobal.length != thetaLocal.length || out.length != thetaLocal.length) {
            throw new IllegalArgumentException("lengths differ: global " + thetaGlobal.length + ", local "
                + thetaLocal.length + ", out " + out.length);
        }
        for (int i = 0; i < out.length; i++) {
            out[i] = thetaGlobal[i] - thetaLocal[i];
        }
    }

    /**
     * Applies one outer step in place.
     *
     * @param theta          θ_global, updated in place
     * @param pseudoGradient the group's aggregated Δ, finite
     * @throws IllegalArgumentException when lengths differ
     */
    public void step(final float[] theta, final float[] pseudoGradient) {
        if (theta.length != momentum.length || pseudoGradient.length != momentum.length) {
            throw new IllegalArgumentException("expected " + momentum.length + " elements, got theta "
                + theta.length + " and pseudo-gradient " + pseudoGradient.length);
        }
        float mu = config.momentum();
        float lr = config.learningRate();
        for (int i = 0; i < theta.length; i++) {
            float g = pseudoGradient[i];
            float m = mu * momentum[i] + g;
            momentum[i] = m;
            theta[i] -= lr * (g + mu * m);
        }
    }

    /**
     * The momentum buffer, for checkpoints and for state sync to joiners (a copy).
     *
     * @return a copy of m
     */
    public float[] momentum() {
        return momentum.clone();
    }

    /**
     * Restores the momentum buffer (from a checkpoint or a peer's state).
     *
     * @param values m, same length as the buffer
     */
    public void restoreMomentum(final float[] values) {
        if (values.length != momentum.length) {
            throw new IllegalArgumentException("momentum of " + values.length + " for " + momentum.length);
        }
        System.arraycopy(values, 0, momentum, 0, values.length);
    }

    /** @return the settings */
    public OuterNesterovConfig config() {
        return config;
    }
}
