package dev.starling.model;

import dev.starling.tensor.FlatLayout;
import dev.starling.tensor.cpu.ParallelFor;
import dev.starling.tensor.ops.Dropout;
import dev.starling.tensor.ops.LayerNorm;
import dev.starling.tensor.ops.Residual;

/**
 * One pre-norm transformer block: {@code x = x + drop(attn(ln_1(x))); x = x + drop(mlp(ln_2(x)))},
 * all (B,T,C). Forward and backward sit side by side. Thread: the training thread.
 */
final class Block {
    private final GptConfig config;
    private final int index;
    private final int ln1W;
    private final int ln1B;
    private final int ln2W;
    private final int ln2B;
    private final CausalSelfAttention attn;
    private final Mlp mlp;

    Block(GptConfig config, FlatLayout.Builder layout, int index) {
        this.config = config;
        this.index = index;
        String prefix = "h." + index + ".";
        int c = config.nEmbd();
        ln1W = layout.add(prefix + "ln_1.weight", c).offset();
        ln1B = config.bias() ? layout.add(prefix + "ln_1.bias", c).offset() : -1;
        attn = new CausalSelfAttention(config, layout, prefix + "attn.", index);
        ln2W = layout.add(prefix + "ln_2.weight", c).offset();
        ln2B = config.bias() ? layout.add(prefix + "ln_2.bias", c).offset() : -1;
        mlp = new Mlp(config, layout, prefix + "mlp.");
    }

    int index() {
        return index;
    }

    int[] residualProjections() {
        return new int[] {attn.projWeight(), mlp.projWeight()};
    }

    /** (B,T,C) residual at in -> l.res3(). */
    void forward(ParallelFor pool, float[] p, Activations a, int in, int t) {
        Activations.Layer l = a.layers[index];
        int n = a.batch * t;
        int c = config.nEmbd();
        float[] acts = a.acts;
        LayerNorm.forward(pool, acts, l.ln1(), acts, l.ln1Stats(), acts, in, p, ln1W, p, ln1B, n, c);
        attn.forward(pool, p, a, l, l.ln1(), l.attProj(), t);
        dropout(pool, a, acts, l.attProj(), n * c, 1);
        Residual.forward(pool, acts, l.res2(), acts, in, acts, l.attProj(), n * c);
        LayerNorm.forward(pool, acts, l.ln2(), acts, l.ln2Stats(), acts, l.res2(), p, ln2W, p, ln2B, n, c);
        mlp.forward(pool, p, a, l, l.ln2(), l.fcProj(), t);
        dropout(pool, a, acts, l.fcProj(), n * c, 2);
        Residual.forward(pool, acts, l.res3(), acts, l.res2(), acts, l.fcProj(), n * c);
    }

    /** a.dres holds d(out); on return it holds d(in). Accumulates parameter gradients into g. */
    void backward(ParallelFor pool, float[] p, float[] g, Activations a, int in, int t) {
        Activations.Layer l = a.layers[index];
        int n = a.batch * t;
        int c = config.nEmbd();
        float[] acts = a.acts;
        float[] d = a.grads;
        int branch = branchGrad(pool, a, n * c, 2);
        mlp.backward(pool, p, g, a, l, l.ln2(), branch, a.dB, t);
        LayerNorm.backward(pool, d, a.dres, g, ln2W, g, ln2B, d, a.dB, acts, l.res2(), p, ln2W,
                acts, l.ln2Stats(), n, c);
        branch = branchGrad(pool, a, n * c, 1);
        attn.backward(pool, p, g, a, l, l.ln1(), branch, a.dB, t);
        LayerNorm.backward(pool, d, a.dres, g, ln1W, g, ln1B, d, a.dB, acts, in, p, ln1W,
                acts, l.ln1Stats(), n, c);
    }

    /** The gradient of a dropped-out residual branch: dres itself, or a masked copy in dA. */
    private int branchGrad(ParallelFor pool, Activations a, int n, int site) {
        if (!a.training || config.dropout() <= 0f) {
            return a.dres;
        }
        System.arraycopy(a.grads, a.dres, a.grads, a.dA, n);
        dropout(pool, a, a.grads, a.dA, n, site);
        return a.dA;
    }

    private void dropout(ParallelFor pool, Activations a, float[] x, int off, int n, int site) {
        if (a.training && config.dropout() > 0f) {
            Dropout.apply(pool, x, off, n, config.dropout(), Gpt.siteSeed(a.dropoutSeed, index * 2L + site));
        }
    }
}
