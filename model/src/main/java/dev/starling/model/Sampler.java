package dev.starling.model;

import dev.starling.tensor.cpu.ParallelFor;
import dev.starling.tensor.ops.CrossEntropy;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Autoregressive sampling from a {@link Gpt}, as nanoGPT's {@code generate}: crop the context to the
 * block size, take the last position's logits, divide by the temperature, keep the top k, sample.
 * Owner: one thread; it owns activations for (1, block size).
 */
public final class Sampler {
    private final Gpt gpt;
    private final Activations acts;
    private final SplittableRandom random;

    /**
     * Creates a sampler.
     *
     * @param gpt  the model
     * @param seed the sampling seed
     */
    public Sampler(Gpt gpt, long seed) {
        this.gpt = gpt;
        this.acts = new Activations(gpt.config(), 1, gpt.config().blockSize());
        this.random = new SplittableRandom(seed);
    }

    /**
     * Extends a prompt.
     *
     * @param pool        the worker team
     * @param prompt      the prompt's ids (at least one)
     * @param newTokens   how many ids to add
     * @param temperature softmax temperature, above 0
     * @param topK        keep only the k most likely ids; 0 keeps all
     * @return prompt followed by the generated ids
     */
    public int[] generate(ParallelFor pool, int[] prompt, int newTokens, float temperature, int topK) {
        if (prompt.length == 0 || !(temperature > 0f)) {
            throw new IllegalArgumentException("need a non-empty prompt and a positive temperature");
        }
        int v = gpt.config().vocabSize();
        int block = gpt.config().blockSize();
        int[] out = Arrays.copyOf(prompt, prompt.length + newTokens);
        float[] probs = new float[v];
        float[] sorted = new float[v];
        for (int len = prompt.length; len < out.length; len++) {
            int t = Math.min(len, block);
            int[] context = Arrays.copyOfRange(out, len - t, len);
            gpt.forward(pool, acts, context, null, t, false, 0);
            System.arraycopy(acts.acts, acts.logitsOffset() + (t - 1) * v, probs, 0, v);
            for (int i = 0; i < v; i++) {
                probs[i] /= temperature;
            }
            if (topK > 0 && topK < v) {
                System.arraycopy(probs, 0, sorted, 0, v);
                Arrays.sort(sorted);
                float kth = sorted[v - topK];
                for (int i = 0; i < v; i++) {
                    if (probs[i] < kth) {
                        probs[i] = Float.NEGATIVE_INFINITY;
                    }
                }
            }
            CrossEntropy.softmaxRow(probs, 0, v);
            double u = random.nextDouble();
            int pick = v - 1;
            double acc = 0;
            for (int i = 0; i < v; i++) {
                acc += probs[i];
                if (u < acc) {
                    pick = i;
                    break;
                }
            }
            out[len] = pick;
        }
        return out;
    }
}
