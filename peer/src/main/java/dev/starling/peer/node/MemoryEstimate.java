package dev.starling.peer.node;

import dev.starling.model.GptConfig;
import dev.starling.protocol.manifest.RunManifest;
import java.util.Locale;

/**
 * How much memory one peer needs for a run, counted from the manifest before any buffer is allocated, so
 * {@code starling peer --max-memory} can refuse a run that will not fit with one line instead of dying of
 * an {@code OutOfMemoryError} mid-round. An estimate of what this build allocates: fp32 weights, gradients,
 * AdamW's two moments, θ_global, the round-start copy, the update Δ, the error-feedback residual and the outer
 * momentum (a second buffer for CO2's pending update), plus activations and their gradients for one batch
 * (llm.c's count per layer: 16·C + 2·heads·T floats per token, and the logits and probabilities).
 * Immutable.
 *
 * @param parameters      elements of θ
 * @param stateBytes      bytes of the flat per-parameter buffers
 * @param activationBytes bytes of one batch's activations and their gradients
 */
public record MemoryEstimate(long parameters, long stateBytes, long activationBytes) {
    /**
     * Counts what a peer of {@code manifest} allocates.
     *
     * @param manifest  the run
     * @param vocabSize the tokenizer's vocabulary size (from the loaded dataset)
     * @return the estimate
     */
    public static MemoryEstimate of(RunManifest manifest, int vocabSize) {
        RunManifest.Model m = manifest.model();
        long p = new GptConfig(vocabSize, m.blockSize(), m.layers(), m.heads(), m.channels(), (float) m.dropout(),
                m.bias()).parameterCount();
        int copies = 4 + 3 + 1 + (manifest.codec().errorFeedback() ? 1 : 0)
                + ("co2".equals(manifest.outer().optimizer()) ? 1 : 0);
        long tokens = (long) manifest.data().batchSize() * m.blockSize();
        long perToken = (long) m.layers() * (16L * m.channels() + 2L * m.heads() * m.blockSize())
                + 2L * m.channels() + 2L * vocabSize;
        return new MemoryEstimate(p, copies * p * Float.BYTES, 2 * tokens * perToken * Float.BYTES);
    }

    /**
     * The whole estimate.
     *
     * @return bytes
     */
    public long totalBytes() {
        return stateBytes + activationBytes;
    }

    /**
     * One line for people.
     *
     * @return for example {@code "about 812 MiB (26.1 M parameters: 794 MiB of weights and optimizer state,
     *     18 MiB of activations)"}
     */
    public String describe() {
        return String.format(Locale.ROOT, "about %d MiB (%.1f M parameters: %d MiB of weights and optimizer state,"
                        + " %d MiB of activations)", mib(totalBytes()), parameters / 1e6, mib(stateBytes),
                mib(activationBytes));
    }

    private static long mib(long bytes) {
        return (bytes + (1 << 20) - 1) >> 20;
    }
}
