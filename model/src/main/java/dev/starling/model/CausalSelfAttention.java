package dev.starling.model;

import dev.starling.tensor.FlatLayout;
import dev.starling.tensor.cpu.ParallelFor;
import dev.starling.tensor.ops.Attention;
import dev.starling.tensor.ops.Linear;

/**
 * Multi-head causal self-attention: {@code x (B,T,C) -> c_proj(attention(c_attn(x))) (B,T,C)}.
 * Holds the offsets of its four parameters in the model's flat buffers. Thread: the training thread.
 */
final class CausalSelfAttention {
    private final GptConfig config;
    private final int attnW;
    private final int attnB;
    private final int projW;
    private final int projB;
    private final int layer;

    CausalSelfAttention(GptConfig config, FlatLayout.Builder layout, String prefix, int layer) {
        this.config = config;
        this.layer = layer;
        int c = config.nEmbd();
        attnW = layout.add(prefix + "c_attn.weight", 3 * c, c).offset();
        attnB = config.bias() ? layout.add(prefix + "c_attn.bias", 3 * c).offset() : -1;
        projW = layout.add(prefix + "c_proj.weight", c, c).offset();
        projB = config.bias() ? layout.add(prefix + "c_proj.bias", c).offset() : -1;
    }

    /** The output projection's weight offset (scaled at init). */
    int projWeight() {
        return projW;
    }

    /** (B,T,C) at x -> (B,T,C) at out, saving qkv, the head outputs and lse. */
    void forward(ParallelFor pool, float[] p, Activations a, Activations.Layer l, int x, int out, int t) {
        int n = a.batch * t;
        int c = config.nEmbd();
        float[] acts = a.acts;
        Linear.forward(pool, acts, l.qkv(), acts, x, p, attnW, attnB, n, c, 3 * c);
        Attention.forward(pool, acts, l.atty(), acts, l.lse(), acts, l.qkv(), a.attnScratch, a.batch, t, c,
                config.nHead(), dropP(a), dropSeed(a));
        Linear.forward(pool, acts, out, acts, l.atty(), p, projW, projB, n, c, c);
    }

    /** dout (B,T,C) in a.grads -> overwrites dx (B,T,C) in a.grads; accumulates parameter grads. */
    @SuppressWarnings("checkstyle:ParameterNumber")
    void backward(ParallelFor pool, float[] p, float[] g, Activations a, Activations.Layer l, int x,
                  int dout, int dx, int t) {
        int n = a.batch * t;
        int c = config.nEmbd();
        float[] acts = a.acts;
        float[] d = a.grads;
        int dy = dx;
        Linear.backward(pool, d, dy, false, g, projW, projB, d, dout, acts, l.atty(), p, projW, n, c, c);
        Attention.backward(pool, d, a.dqkv, d, dy, acts, l.atty(), acts, l.lse(), acts, l.qkv(), a.attnScratch,
                a.batch, t, c, config.nHead(), dropP(a), dropSeed(a));
        Linear.backward(pool, d, dx, false, g, attnW, attnB, d, a.dqkv, acts, x, p, attnW, n, c, 3 * c);
    }

    /** nanoGPT's attn_dropout: the model's dropout on the attention probabilities while training. */
    private float dropP(Activations a) {
        return a.training ? config.dropout() : 0f;
    }

    /** The attention mask's seed: one site per layer, -3 down (embeddings -1, residual branches 1 up). */
    private long dropSeed(Activations a) {
        return Gpt.siteSeed(a.dropoutSeed, -3L - layer);
    }
}
