package dev.starling.model;

import dev.starling.tensor.FlatLayout;
import dev.starling.tensor.cpu.ParallelFor;
import dev.starling.tensor.ops.Gelu;
import dev.starling.tensor.ops.Linear;

/**
 * The feed-forward branch: {@code x (B,T,C) -> c_proj(gelu(c_fc(x))) (B,T,C)} with a 4C hidden
 * width. Holds its parameters' offsets. Thread: the training thread.
 */
final class Mlp {
    private final GptConfig config;
    private final int fcW;
    private final int fcB;
    private final int projW;
    private final int projB;

    Mlp(GptConfig config, FlatLayout.Builder layout, String prefix) {
        this.config = config;
        int c = config.nEmbd();
        fcW = layout.add(prefix + "c_fc.weight", 4 * c, c).offset();
        fcB = config.bias() ? layout.add(prefix + "c_fc.bias", 4 * c).offset() : -1;
        projW = layout.add(prefix + "c_proj.weight", c, 4 * c).offset();
        projB = config.bias() ? layout.add(prefix + "c_proj.bias", c).offset() : -1;
    }

    /** The output projection's weight offset (scaled at init). */
    int projWeight() {
        return projW;
    }

    /** (B,T,C) at x -> (B,T,C) at out, saving the hidden pre- and post-activation. */
    void forward(ParallelFor pool, float[] p, Activations a, Activations.Layer l, int x, int out, int t) {
        int n = a.batch * t;
        int c = config.nEmbd();
        float[] acts = a.acts;
        Linear.forward(pool, acts, l.fch(), acts, x, p, fcW, fcB, n, c, 4 * c);
        Gelu.forward(pool, acts, l.fchGelu(), acts, l.fch(), n * 4 * c);
        Linear.forward(pool, acts, out, acts, l.fchGelu(), p, projW, projB, n, 4 * c, c);
    }

    /** dout (B,T,C) in a.grads -> overwrites dx (B,T,C) in a.grads; accumulates parameter grads. */
    @SuppressWarnings("checkstyle:ParameterNumber")
    void backward(ParallelFor pool, float[] p, float[] g, Activations a, Activations.Layer l, int x,
                  int dout, int dx, int t) {
        int n = a.batch * t;
        int c = config.nEmbd();
        float[] acts = a.acts;
        float[] d = a.grads;
        Linear.backward(pool, d, a.d4c, false, g, projW, projB, d, dout, acts, l.fchGelu(), p, projW, n, 4 * c, c);
        Gelu.backward(pool, d, a.d4c, d, a.d4c, acts, l.fch(), n * 4 * c);
        Linear.backward(pool, d, dx, false, g, fcW, fcB, d, a.d4c, acts, x, p, fcW, n, c, 4 * c);
    }
}
