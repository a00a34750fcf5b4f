package dev.starling.optimizer;

/**
 * AdamW hyperparameters (Loshchilov and Hutter, decoupled weight decay). Immutable; checked once.
 *
 * @param beta1       decay of the first moment (nanoGPT 0.9)
 * @param beta2       decay of the second moment (nanoGPT 0.95; baby-GPT 0.99)
 * @param eps         added to the root of the second moment (1e-8)
 * @param weightDecay decoupled decay, applied as {@code p -= lr * wd * p} (0.1)
 * @param decayAll    false: decay only tensors of rank 2 or more (matrices and embeddings), as
 *                    nanoGPT does; true: decay every tensor, biases and layernorm gains too, as llm.c does
 */
public record AdamWConfig(float beta1, float beta2, float eps, float weightDecay, boolean decayAll) {
    /**
     * Validates the values.
     *
     * @throws IllegalArgumentException naming the bad value
     */
    public AdamWConfig {
        if (!(beta1 >= 0f && beta1 < 1f) || !(beta2 >= 0f && beta2 < 1f)) {
            throw new IllegalArgumentException("AdamW betas must be in [0,1), got " + beta1 + ", " + beta2);
        }
        if (!(eps > 0f)) {
            throw new IllegalArgumentException("AdamW eps must be positive, got " + eps);
        }
        if (!(weightDecay >= 0f)) {
            throw new IllegalArgumentException("weight decay must be 0 or more, got " + weightDecay);
        }
    }

    /**
     * The one weight-decay rule: which tensors decay.
     *
     * @param rank the tensor's number of dimensions
     * @return whether weight decay applies to it
     */
    public boolean decays(int rank) {
        return decayAll || rank >= 2;
    }
}
