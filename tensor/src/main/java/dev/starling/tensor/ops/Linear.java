package dev.starling.tensor.ops;

import dev.starling.tensor.cpu.Gemm;
import dev.starling.tensor.cpu.ParallelFor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A linear layer, {@code x (N,C) -> out (N,OC) = x W^T + b} with {@code W (OC,C)} in PyTorch's
 * layout. Both products go through {@link Gemm#sgemm}; backward needs x and W only.
 * Thread: the pool's owner thread.
 */
public final class Linear {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

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
            pool.run(n, r -> addRow(out, oOff + r * oc, w, bOff, oc));
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
            int lanes = S.length();
            int chunks = Math.max(1, Math.min(pool.threads() * 2, oc / lanes));
            pool.run(chunks, k -> {
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
            });
        }
    }
}
