package dev.starling.tensor.ops;

import dev.starling.tensor.cpu.ParallelFor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Token plus position embedding, {@code tokens (B,T) -> out (B,T,C) = wte[token] + wpe[t]}.
 * Backward scatters into the tables; it splits the channels (not the rows) across threads so that
 * repeated tokens never make two threads write the same element. Thread: the pool's owner thread.
 */
public final class Embedding {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private Embedding() {
    }

    /**
     * Forward: overwrites out.
     *
     * @param pool   the worker team
     * @param out    (B,T,C) at oOff
     * @param oOff   its offset
     * @param tokens (B,T) from tokOff, each in {@code [0,V)}
     * @param tokOff its offset
     * @param params array holding wte (V,C) at wteOff and wpe (maxT,C) at wpeOff
     * @param wteOff offset of wte
     * @param wpeOff offset of wpe
     * @param b      batch
     * @param t      sequence length
     * @param c      channels
     */
    @SuppressWarnings("checkstyle:ParameterNumber")
    public static void forward(ParallelFor pool, float[] out, int oOff, int[] tokens, int tokOff, float[] params,
                               int wteOff, int wpeOff, int b, int t, int c) {
        pool.run(b * t, r -> {
            int tok = tokens[tokOff + r];
            int wte = wteOff + tok * c;
            int wpe = wpeOff + (r % t) * c;
            int o = oOff + r * c;
            int i = 0;
            int upper = S.loopBound(c);
            for (; i < upper; i += S.length()) {
                FloatVector.fromArray(S, params, wte + i).add(FloatVector.fromArray(S, params, wpe + i))
                        .intoArray(out, o + i);
            }
            for (; i < c; i++) {
                out[o + i] = params[wte + i] + params[wpe + i];
            }
        });
    }

    /**
     * Backward: accumulates into the table gradients.
     *
     * @param pool   the worker team
     * @param grads  gradient array holding dwte at wteOff and dwpe at wpeOff
     * @param wteOff offset of dwte
     * @param wpeOff offset of dwpe
     * @param dout   (B,T,C) at doOff
     * @param doOff  its offset
     * @param tokens (B,T) from tokOff
     * @param tokOff its offset
     * @param b      batch
     * @param t      sequence length
     * @param c      channels
     */
    @SuppressWarnings("checkstyle:ParameterNumber")
    public static void backward(ParallelFor pool, float[] grads, int wteOff, int wpeOff, float[] dout, int doOff,
                                int[] tokens, int tokOff, int b, int t, int c) {
        int lanes = S.length();
        int chunks = Math.max(1, Math.min(pool.threads() * 2, c / lanes));
        pool.run(chunks, k -> {
            int from = LayerNorm.alignedSplit(c, chunks, k, lanes);
            int to = LayerNorm.alignedSplit(c, chunks, k + 1, lanes);
            int upper = from + S.loopBound(to - from);
            for (int r = 0; r < b * t; r++) {
                int d = doOff + r * c;
                int wte = wteOff + tokens[tokOff + r] * c;
                int wpe = wpeOff + (r % t) * c;
                int i = from;
                for (; i < upper; i += lanes) {
                    FloatVector g = FloatVector.fromArray(S, dout, d + i);
                    g.add(FloatVector.fromArray(S, grads, wte + i)).intoArray(grads, wte + i);
                    g.add(FloatVector.fromArray(S, grads, wpe + i)).intoArray(grads, wpe + i);
                }
                for (; i < to; i++) {
                    grads[wte + i] += dout[d + i];
                    grads[wpe + i] += dout[d + i];
                }
            }
        });
    }
}
