package dev.starling.tensor.ops;

import dev.starling.tensor.cpu.ParallelFor;
import java.util.function.IntConsumer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Token plus position embedding, {@code tokens (B,T) -> out (B,T,C) = wte[token] + wpe[t]}.
 * Backward scatters into the tables; it splits the channels (not the rows) across threads so that
 * repeated tokens never make two threads write the same element. Thread: the pool's owner thread.
 */
public final class Embedding {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ThreadLocal<Task> TASKS = ThreadLocal.withInitial(Task::new);

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
        Task k = TASKS.get();
        k.set(false, out, oOff, tokens, tokOff, params, wteOff, wpeOff, b, t, c);
        pool.run(b * t, k);
        k.set(false, null, 0, null, 0, null, 0, 0, 0, 0, 0);
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
        Task k = TASKS.get();
        k.set(true, dout, doOff, tokens, tokOff, grads, wteOff, wpeOff, b, t, c);
        k.chunks = Math.max(1, Math.min(pool.threads() * 2, c / S.length()));
        pool.run(k.chunks, k);
        k.set(false, null, 0, null, 0, null, 0, 0, 0, 0, 0);
    }

    private static void forwardRow(float[] out, int oOff, int[] tokens, int tokOff, float[] params, int wteOff,
                                   int wpeOff, int t, int c, int r) {
        int wte = wteOff + tokens[tokOff + r] * c;
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
    }

    @SuppressWarnings("checkstyle:ParameterNumber")
    private static void backwardChunk(float[] grads, int wteOff, int wpeOff, float[] dout, int doOff, int[] tokens,
                                      int tokOff, int n, int t, int c, int chunks, int k) {
        int lanes = S.length();
        int from = LayerNorm.alignedSplit(c, chunks, k, lanes);
        int to = LayerNorm.alignedSplit(c, chunks, k + 1, lanes);
        int upper = from + S.loopBound(to - from);
        for (int r = 0; r < n; r++) {
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
    }

    /** The arguments of one call, reused by its owner thread so that a call allocates nothing. */
    private static final class Task implements IntConsumer {
        private boolean backward;
        private float[] acts;
        private int[] tokens;
        private float[] table;
        private int actsOff;
        private int tokOff;
        private int wteOff;
        private int wpeOff;
        private int b;
        private int t;
        private int c;
        private int chunks;

        @SuppressWarnings("checkstyle:ParameterNumber")
        void set(boolean isBackward, float[] actArr, int actAt, int[] tokenArr, int tokAt, float[] tableArr,
                 int wteAt, int wpeAt, int batch, int seq, int channels) {
            backward = isBackward;
            acts = actArr;
            actsOff = actAt;
            tokens = tokenArr;
            tokOff = tokAt;
            table = tableArr;
            wteOff = wteAt;
            wpeOff = wpeAt;
            b = batch;
            t = seq;
            c = channels;
        }

        @Override
        public void accept(int k) {
            if (backward) {
                backwardChunk(table, wteOff, wpeOff, acts, actsOff, tokens, tokOff, b * t, t, c, chunks, k);
            } else {
                forwardRow(acts, actsOff, tokens, tokOff, table, wteOff, wpeOff, t, c, k);
            }
        }
    }
}
