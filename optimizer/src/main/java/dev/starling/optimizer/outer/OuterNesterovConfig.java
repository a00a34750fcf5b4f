package dev.starling.optimizer.outer;

/**
 * Settings of DiLoCo's outer optimizer (Douillard et al. 2023): SGD with Nesterov momentum on the pseudo-gradient.
 *
 * @param learningRate outer learning rate (DiLoCo: 0.7)
 * @param momentum     Nesterov momentum (DiLoCo: 0.9)
 */
public record OuterNesterovConfig(float learningRate, float momentum) {

    /** DiLoCo's published defaults: lr 0.7, momentum 0.9. */
    public static final OuterNesterovConfig DILOCO = new OuterNesterovConfig(0.7f, 0.9f);

    /** Rejects values that cannot train, naming them. */
    public OuterNesterovConfig {
        if (!(learningRate > 0f) || !Float.isFinite(learningRate)) {
            throw new IllegalArgumentException("outer learning rate must be finite and > 0, was " + learningRate);
        }
        if (!(momentum >= 0f && momentum < 1f)) {
            throw new IllegalArgumentException("outer momentum must be in [0, 1), was " + momentum);
        }
    }
}
