package dev.starling.tensor.ops;

import dev.starling.tensor.cpu.ParallelFor;
import java.util.function.IntConsumer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Layer normalisation over the last axis, {@code (N,C) -> (N,C)} with {@code N = B*T}:
 * {@code out = (x - mean) * rstd * weight + bias}. Forward saves only {@code mean} and {@code rstd}
 * per row, which is all backward needs besides the input and the weight.
 *
 * <p>The fast kernels use the Java Vector API at the platform's preferred width and split rows
 * (forward, input gradient) or channels (weight and bias gradients) across the worker team, so no
 * two threads ever write the same element. The {@code *Reference} methods are the plain scalar
 * definitions the tests compare against. Thread: the pool's owner thread; each owner thread keeps
 * one reusable argument holder, so calls allocate nothing.
 */
public final class LayerNorm {
    /** The variance epsilon, as in GPT-2. */
    public static final float EPS = 1e-5f;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ThreadLocal<Task> TASKS = ThreadLocal.withInitial(Task::new);

    private LayerNorm() {
    }

    /**
     * Forward, (N,C) -> (N,C). Arrays are addressed from offset 0 of the given offsets.
     *
     * @param pool   the worker team
     * @param out    output (N,C) at {@code outOff}
     * @param outOff offset of out
     * @param stats  saved row means (N) at {@code statOff}, then reciprocal standard deviations (N)
     * @param statOff offset of the statistics (2N floats)
     * @param x      input (N,C) at {@code xOff}
     * @param xOff   offset of x
     * @param w      weight (C) at {@code wOff}; bias (C) follows at {@code bOff}
     * @param wOff   offset of the weight
     * @param bias   bias array (may be the same array as w)
     * @param bOff   offset of the bias, or -1 for no bias
     * @param n      rows
     * @param c      channels
     */
    @SuppressWarnings("checkstyle:ParameterNumber")
    public static void forward(ParallelFor pool, float[] out, int outOff, float[] stats, int statOff,
                               float[] x, int xOff, float[] w, int wOff, float[] bias, int bOff, int n, int c) {
        Task k = TASKS.get();
        k.mode = Task.FORWARD;
        k.out = out;
        k.outOff = outOff;
        k.stats = stats;
        k.statOff = statOff;
        k.x = x;
        k.xOff = xOff;
        k.w = w;
        k.wOff = wOff;
        k.bias = bias;
        k.bOff = bOff;
        k.n = n;
        k.c = c;
        pool.run(n, k);
        k.clear();
    }

    /** The arguments of one call, reused by its owner thread so that a call allocates nothing. */
    private static final class Task implements IntConsumer {
        static final int FORWARD = 0;
        static final int BACKWARD_ROWS = 1;
        static final int BACKWARD_PARAMS = 2;
        int mode;
        float[] out;
        float[] stats;
        float[] x;
        float[] w;
        float[] bias;
        float[] dout;
        int outOff;
        int statOff;
        int xOff;
        int wOff;
        int bOff;
        int doOff;
        int dwOff;
        int n;
        int c;
        int chunks;

        @Override
        public void accept(int r) {
            switch (mode) {
                case FORWARD -> forwardRow(out, outOff + r * c, stats, statOff + r, statOff + n + r, x, xOff + r * c,
                        w, wOff, bias, bOff, c);
                case BACKWARD_ROWS -> backwardRow(out, outOff + r * c, dout, doOff + r * c, x, xOff + r * c, w, wOff,
                        stats[statOff + r], stats[statOff + n + r], c);
                default -> {
                    int lanes = S.length();
                    int from = alignedSplit(c, chunks, r, lanes);
                    int to = alignedSplit(c, chunks, r + 1, lanes);
                    paramGradChunk(w, dwOff, bias, bOff, dout, doOff, x, xOff, stats, statOff, n, c, from, to);
                }
            }
        }

        void clear() {
            out = null;
            stats = null;
            x = null;
            w = null;
            bias = null;
            dout = null;
        }
    }

    @SuppressWarnings("checkstyle:ParameterNumber")
    private static void forwardRow(float[] out, int o, float[] stats, int meanAt, int rstdAt, float[] x, int xo,
                                   float[] w, int wOff, float[] bias, int bOff, int c) {
        int upper = S.loopBound(c);
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i < upper; i += S.length()) {
            acc = acc.add(FloatVector.fromArray(S, x, xo + i));
        }
        float sum = VectorMath.sum(acc);
        for (; i < c; i++) {
            sum += x[xo + i];
        }
        float m = sum / c;
        FloatVector mv = FloatVector.broadcast(S, m);
        FloatVector vacc = FloatVector.zero(S);
        for (i = 0; i < upper; i += S.length()) {
            FloatVector d = FloatVector.fromArray(S, x, xo + i).sub(mv);
            vacc = d.fma(d, vacc);
        }
        float var = VectorMath.sum(vacc);
        for (; i < c; i++) {
            float d = x[xo + i] - m;
            var += d * d;
        }
        float rs = (float) (1.0 / Math.sqrt(var / c + EPS));
        FloatVector rv = FloatVector.broadcast(S, rs);
        for (i = 0; i < upper; i += S.length()) {
            FloatVector norm = FloatVector.fromArray(S, x, xo + i).sub(mv).mul(rv);
            FloatVector y = norm.mul(FloatVector.fromArray(S, w, wOff + i));
            if (bOff >= 0) {
                y = y.add(FloatVector.fromArray(S, bias, bOff + i));
            }
            y.intoArray(out, o + i);
        }
        for (; i < c; i++) {
            float y = (x[xo + i] - m) * rs * w[wOff + i];
            out[o + i] = bOff >= 0 ? y + bias[bOff + i] : y;
        }
        stats[meanAt] = m;
        stats[rstdAt] = rs;
    }

    /**
     * Backward: accumulates into {@code dx}, {@code dw} and {@code db} (+=).
     *
     * @param pool    the worker team
     * @param dx      input gradient (N,C) at {@code dxOff}, accumulated
     * @param dxOff   offset of dx
     * @param dw      weight gradient (C) at {@code dwOff}, accumulated
     * @param dwOff   offset of dw
     * @param db      bias gradient array
     * @param dbOff   offset of db, or -1 for no bias
     * @param dout    output gradient (N,C) at {@code doOff}
     * @param doOff   offset of dout
     * @param x       the forward input (N,C) at {@code xOff}
     * @param xOff    offset of x
     * @param w       weight (C) at {@code wOff}
     * @param wOff    offset of w
     * @param stats   saved means (N) at {@code statOff}, then reciprocal standard deviations (N)
     * @param statOff offset of the statistics
     * @param n       rows
     * @param c       channels
     */
    @SuppressWarnings("checkstyle:ParameterNumber")
    public static void backward(ParallelFor pool, float[] dx, int dxOff, float[] dw, int dwOff, float[] db, int dbOff,
                                float[] dout, int doOff, float[] x, int xOff, float[] w, int wOff,
                                float[] stats, int statOff, int n, int c) {
        Task k = TASKS.get();
        k.mode = Task.BACKWARD_ROWS;
        k.out = dx;
        k.outOff = dxOff;
        k.dout = dout;
        k.doOff = doOff;
        k.x = x;
        k.xOff = xOff;
        k.w = w;
        k.wOff = wOff;
        k.stats = stats;
        k.statOff = statOff;
        k.n = n;
        k.c = c;
        pool.run(n, k);
        k.mode = Task.BACKWARD_PARAMS;
        k.w = dw;
        k.dwOff = dwOff;
        k.bias = db;
        k.bOff = dbOff;
        k.chunks = Math.max(1, Math.min(pool.threads() * 2, c / S.length()));
        pool.run(k.chunks, k);
        k.clear();
    }

    static int alignedSplit(int c, int chunks, int k, int lanes) {
        if (k >= chunks) {
            return c;
        }
        int vecs = c / lanes;
        return (int) ((long) vecs * k / chunks) * lanes;
    }

    @SuppressWarnings("checkstyle:ParameterNumber")
    private static void backwardRow(float[] dx, int dxo, float[] dout, int dout0, float[] x, int xo,
                                    float[] w, int wOff, float m, float rs, int c) {
        int upper = S.loopBound(c);
        FloatVector mv = FloatVector.broadcast(S, m);
        FloatVector rv = FloatVector.broadcast(S, rs);
        FloatVector aMean = FloatVector.zero(S);
        FloatVector aNorm = FloatVector.zero(S);
        int i = 0;
        for (; i < upper; i += S.length()) {
            FloatVector norm = FloatVector.fromArray(S, x, xo + i).sub(mv).mul(rv);
            FloatVector dnorm = FloatVector.fromArray(S, w, wOff + i).mul(FloatVector.fromArray(S, dout, dout0 + i));
            aMean = aMean.add(dnorm);
            aNorm = dnorm.fma(norm, aNorm);
        }
        float dMean = VectorMath.sum(aMean);
        float dNormMean = VectorMath.sum(aNorm);
        for (; i < c; i++) {
            float norm = (x[xo + i] - m) * rs;
            float dnorm = w[wOff + i] * dout[dout0 + i];
            dMean += dnorm;
            dNormMean += dnorm * norm;
        }
        dMean /= c;
        dNormMean /= c;
        FloatVector dmv = FloatVector.broadcast(S, dMean);
        FloatVector dnv = FloatVector.broadcast(S, dNormMean);
        for (i = 0; i < upper; i += S.length()) {
            FloatVector norm = FloatVector.fromArray(S, x, xo + i).sub(mv).mul(rv);
            FloatVector dnorm = FloatVector.fromArray(S, w, wOff + i).mul(FloatVector.fromArray(S, dout, dout0 + i));
            FloatVector g = dnorm.sub(dmv).sub(norm.mul(dnv)).mul(rv);
            g.add(FloatVector.fromArray(S, dx, dxo + i)).intoArray(dx, dxo + i);
        }
        for (; i < c; i++) {
            float norm = (x[xo + i] - m) * rs;
            float dnorm = w[wOff + i] * dout[dout0 + i];
            dx[dxo + i] += (dnorm - dMean - norm * dNormMean) * rs;
        }
    }

    @SuppressWarnings("checkstyle:ParameterNumber")
    private static void paramGradChunk(float[] dw, int dwOff, float[] db, int dbOff, float[] dout, int doOff,
                                       float[] x, int xOff, float[] stats, int statOff,
                                       int n, int c, int from, int to) {
        for (int r = 0; r < n; r++) {
            float mean = stats[statOff + r];
            float rstd = stats[statOff + n + r];
            FloatVector mv = FloatVector.broadcast(S, mean);
            FloatVector rv = FloatVector.broadcast(S, rstd);
            int row = r * c;
            int i = from;
            int upper = from + S.loopBound(to - from);
            for (; i < upper; i += S.length()) {
                FloatVector d = FloatVector.fromArray(S, dout, doOff + row + i);
                FloatVector norm = FloatVector.fromArray(S, x, xOff + row + i).sub(mv).mul(rv);
                d.fma(norm, FloatVector.fromArray(S, dw, dwOff + i)).intoArray(dw, dwOff + i);
                if (dbOff >= 0) {
                    d.add(FloatVector.fromArray(S, db, dbOff + i)).intoArray(db, dbOff + i);
                }
            }
            for (; i < to; i++) {
                float d = dout[doOff + row + i];
                dw[dwOff + i] += d * (x[xOff + row + i] - mean) * rstd;
                if (dbOff >= 0) {
                    db[dbOff + i] += d;
                }
            }
        }
    }

    /**
     * Scalar reference of {@link #forward}, all offsets zero; bias may be null.
     *
     * @param out  (N,C)
     * @param mean (N)
     * @param rstd (N)
     * @param x    (N,C)
     * @param w    (C)
     * @param bias (C) or null
     * @param n    rows
     * @param c    channels
     */
    public static void forwardReference(float[] out, float[] mean, float[] rstd, float[] x, float[] w, float[] bias,
                                        int n, int c) {
        for (int r = 0; r < n; r++) {
            float m = 0f;
            for (int i = 0; i < c; i++) {
                m += x[r * c + i];
            }
            m /= c;
            float v = 0f;
            for (int i = 0; i < c; i++) {
                float d = x[r * c + i] - m;
                v += d * d;
            }
            float rs = (float) (1.0 / Math.sqrt(v / c + EPS));
            for (int i = 0; i < c; i++) {
                float y = (x[r * c + i] - m) * rs * w[i];
                out[r * c + i] = bias == null ? y : y + bias[i];
            }
            mean[r] = m;
            rstd[r] = rs;
        }
    }

    /**
     * Scalar reference of {@link #backward}, all offsets zero; db may be null. Accumulates.
     *
     * @param dx   (N,C)
     * @param dw   (C)
     * @param db   (C) or null
     * @param dout (N,C)
     * @param x    (N,C)
     * @param w    (C)
     * @param mean (N)
     * @param rstd (N)
     * @param n    rows
     * @param c    channels
     */
    @SuppressWarnings("checkstyle:ParameterNumber")
    public static void backwardReference(float[] dx, float[] dw, float[] db, float[] dout, float[] x, float[] w,
                                         float[] mean, float[] rstd, int n, int c) {
        for (int r = 0; r < n; r++) {
            float dMean = 0f;
            float dNormMean = 0f;
            for (int i = 0; i < c; i++) {
                float norm = (x[r * c + i] - mean[r]) * rstd[r];
                float dnorm = w[i] * dout[r * c + i];
                dMean += dnorm;
                dNormMean += dnorm * norm;
            }
            dMean /= c;
            dNormMean /= c;
            for (int i = 0; i < c; i++) {
                float norm = (x[r * c + i] - mean[r]) * rstd[r];
                float dnorm = w[i] * dout[r * c + i];
                dx[r * c + i] += (dnorm - dMean - norm * dNormMean) * rstd[r];
                dw[i] += dout[r * c + i] * norm;
                if (db != null) {
                    db[i] += dout[r * c + i];
                }
            }
        }
    }
}
