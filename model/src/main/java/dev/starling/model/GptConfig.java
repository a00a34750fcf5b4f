package dev.starling.model;

/**
 * The GPT's shape, as nanoGPT's {@code GPTConfig}. Immutable; checked once on construction.
 *
 * @param vocabSize number of token ids the embedding and the output head cover (65 for
 *                  char-level Shakespeare, 50257 for GPT-2's BPE)
 * @param blockSize the longest context the position embedding covers, T at most this
 * @param nLayer    number of transformer blocks stacked on the residual stream
 * @param nHead     attention heads per block; each has {@code nEmbd / nHead} channels
 * @param nEmbd     width C of the residual stream
 * @param dropout   drop probability while training after the embeddings, on the attention
 *                  probabilities and on each block's two residual branches, as nanoGPT's
 *                  {@code dropout}; 0 for none
 * @param bias      whether linear layers and layer norms have biases (GPT-2: true)
 */
public record GptConfig(int vocabSize, int blockSize, int nLayer, int nHead, int nEmbd, float dropout, boolean bias) {
    /**
     * Validates the shape.
     *
     * @throws IllegalArgumentException naming the inconsistent values
     */
    public GptConfig {
        if (vocabSize < 2 || blockSize < 1 || nLayer < 1 || nHead < 1 || nEmbd < 1) {
            throw new IllegalArgumentException("GPT sizes must be positive (vocab at least 2), got vocab " + vocabSize
                    + ", block " + blockSize + ", layers " + nLayer + ", heads " + nHead + ", channels " + nEmbd);
        }
        if (nEmbd % nHead != 0) {
            throw new IllegalArgumentException("channels " + nEmbd + " must be a multiple of heads " + nHead);
        }
        if (!(dropout >= 0f && dropout < 1f)) {
            throw new IllegalArgumentException("dropout must be in [0,1), got " + dropout);
        }
    }

    /**
     * GPT-2 small (124M parameters).
     *
     * @return the config
     */
    public static GptConfig gpt2Small() {
        return new GptConfig(50257, 1024, 12, 12, 768, 0f, true);
    }

    /**
     * Channels per head.
     *
     * @return {@code nEmbd / nHead}
     */
    public int headSize() {
        return nEmbd / nHead;
    }

    /**
     * Number of parameters (the output head is tied to the token embedding).
     *
     * @return the parameter count
     */
    public long parameterCount() {
        long c = nEmbd;
        long perLayer = 12 * c * c + (bias ? 13 * c : 4 * c);
        return (long) vocabSize * c + (long) blockSize * c + nLayer * perLayer + (bias ? 2 * c : c);
    }
}
