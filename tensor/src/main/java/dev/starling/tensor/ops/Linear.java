package dev.starling.tensor.ops;

import dev.starling.tensor.cpu.Gemm;
import dev.starling.tensor.cpu.ParallelFor;
import java.util.function.IntConsumer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A linear layer, {@code x (N,C) -> out (N,OC) = x W^T + b} with {@code W (OC,C)} in PyTorch's
 * layout. Both products go through {@link Gemm#sgemm}; backward needs x and W only.
 * Thread: the pool's owner thread.
 */
public final class Linear {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ThreadLocal<Task> TASKS = ThreadLocal.withInitial(Task::new);

    private Linear() {
    }

    /**
     * Forward: overwrites out.
     *
     * @param pool  the worker team
     * @param out   output (N,OC) at oOff
     * @param oOff  its offset
     * @param x     input (N,C) at xOff
     * @param xOff  its offset
     * @param w     weight (OC,C) at wOff; the bias (OC) sits in the same array at bOff
     * @param wOff  offset of the weight
     * @param bOff  offset of the bias, or -1 for none
     * @param n     rows
     * @param c     input channels
     * @param oc    output channels
     */
    @SuppressWarnings("checkstyle:ParameterNumber")
    public static void forward(ParallelFor pool, float[] out, int oOff, float[] x, int xOff,
                               float[] w, int wOff, int bOff, int n, int c, int oc) {
        Gemm.sgemm(pool, false, true, n, oc, c, 1f, x, xOff, c, w, wOff, c, 0f, out, oOff, oc);
        if (bOff >= 0) {
            Task k = TASKS.get();
            k.set(false, out, oOff, w, bOff, oc, 0);
            pool.run(n, k);
            k.set(false, null, 0, null, 0, 0, 0);
        }
    }

    private static void addRow(float[] out, int o, float[] b, int bOff, int n) {
        int i = 0;
        int upper = S.loopBound(n);
        for (; i < upper; i += S.length()) {
            FloatVector.fromArray(S, out, o + i).add(FloatVector.fromArray(S, b, bOff + i)).intoArray(out, o + i);
        }
        for (; i < n; i++) {
            out[o + i] += b[bOff + i];
        }
    }

    /**
     * Backward: {@code dx (=|+=) dout W}, {@code dW += dout^T x}, {@code db += sum_rows dout}.
     *
     * @param pool       the worker team
     * @param dx         input gradient (N,C) at dxOff
     * @param dxOff      its offset
     * @param accumulate whether to add into dx (true) or overwrite it (false)
     * @param grads      gradient array holding dW at dwOff and db at dbOff
     * @param dwOff      offset of dW (OC,C)
     * @param dbOff      offset of db (OC), or -1 for none
     * @param dout       output gradient (N,OC) at doOff
     * @param doOff      its offset
     * @param x          forward input (N,C) at xOff
     * @param xOff       its offset
     * @param w          weight array (OC,C) at wOff
     * @param wOff       its offset
     * @param n          rows
     * @param c          input channels
     * @param oc         output channels
     */
    @SuppressWarnings("checkstyle:ParameterNumber")
    public static void backward(ParallelFor pool, float[] dx, int dxOff, boolean accumulate, float[] grads,
                                int dwOff, int dbOff, float[] dout, int doOff, float[] x, int xOff,
                                float[] w, int wOff, int n, int c, int oc) {
        Gemm.sgemm(pool, false, false, n, c, oc, 1f, dout, doOff, oc, w, wOff, c,
                accumulate ? 1f : 0f, dx, dxOff, c);
        Gemm.sgemm(pool, true, false, oc, c, n, 1f, dout, doOff, oc, x, xOff, c, 1f, grads, dwOff, c);
        if (dbOff >= 0) {
            Task k = TASKS.get();
            k.set(true, dout, doOff, grads, dbOff, oc, n);
            k.chunks = Math.max(1, Math.min(pool.threads() * 2, oc / S.length()));
            pool.run(k.chunks, k);
            k.set(false, null, 0, null, 0, 0, 0);
        }
    }

    /** Bias gradient over channel chunk k: db[i] += sum over rows of dout[r, i]. */
    private static void biasGradChunk(float[] dout, int doOff, float[] grads, int dbOff, int oc, int n, int chunks,
                                      int k) {
        int lanes = S.length();
        int from = LayerNorm.alignedSplit(oc, chunks, k, lanes);
        int to = LayerNorm.alignedSplit(oc, chunks, k + 1, lanes);
        for (int r = 0; r < n; r++) {
            int i = from;
            int upper = from + S.loopBound(to - from);
            int row = doOff + r * oc;
            for (; i < upper; i += lanes) {
                FloatVector.fromArray(S, dout, row + i).add(FloatVector.fromArray(S, grads, dbOff + i))
                        .intoArray(grads, dbOff + i);
            }
            for (; i < to; i++) {
                grads[dbOff + i] += dout[row + i];
            }
        }
    }

    /** The arguments of one bias call, reused by its owner thread so that a call allocates nothing. */
    private static final class Task implements IntConsumer {
        private boolean backward;
        private float[] rows;
        private float[] bias;
        private int rowsOff;
        private int biasOff;
        private int oc;
        private int n;
        private int chunks;

        void set(boolean isBackward, float[] rowArr, int rowAt, float[] biasArr, int biasAt, int channels, int count) {
            backward = isBackward;
            rows = rowArr;
            rowsOff = rowAt;
            bias = biasArr;
            biasOff = biasAt;
            oc = channels;
            n = count;
        }

        @Override
        public void accept(int k) {
            if (backward) {
                biasGradChunk(rows, rowsOff, bias, biasOff, oc, n, chunks, k);
            } else {
                addRow(rows, rowsOff + k * oc, bias, biasOff, oc);
            }
        }
    }
}
