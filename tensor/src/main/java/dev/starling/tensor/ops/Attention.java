package dev.starling.tensor.ops;

import dev.starling.tensor.cpu.ParallelFor;
import java.util.function.IntConsumer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Fused causal self-attention, {@code qkv (B,T,3C) -> y (B,T,C)} with {@code NH} heads of size
 * {@code hd = C/NH}; q, k and v are the three C-wide thirds of each qkv row and head {@code h} uses
 * columns {@code [h*hd, (h+1)*hd)} of each third.
 *
 * <p>Memory-efficient: no {@code T x T} matrix is kept. Forward saves only the row log-sum-exp
 * {@code lse (B,NH,T)}; backward recomputes each row of probabilities from q, k and the saved
 * {@code lse}. Each (b,h) task copies its head's keys and values to {@code (hd,T)} scratch so that a
 * row of scores is a run of FMAs over keys, with no horizontal sums, and exponentials are
 * vectorised with {@link VectorMath#exp}. Work is split over
 * {@code B*NH} (batch, head) tasks; each writes only its own head's columns, so threads never
 * share an output element. Thread: the pool's owner thread.
 */
public final class Attention {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ThreadLocal<Task> TASKS = ThreadLocal.withInitial(Task::new);

    private Attention() {
    }

    /**
     * The scratch length that {@link #forward} and {@link #backward} need: per (b,h) task, the
     * head's keys and values transposed to {@code (hd,T)} and two {@code T}-long rows, so
     * {@code 2*B*T*C + 2*B*NH*T} floats in all (never {@code T x T}).
     *
     * @param b  batch
     * @param t  sequence length
     * @param c  channels
     * @param nh heads
     * @return floats of scratch
     */
    public static int scratchSize(int b, int t, int c, int nh) {
        return b * nh * perTask(t, c / nh);
    }

    private static int perTask(int t, int hd) {
        return 2 * hd * t + 2 * t;
    }

    /**
     * Forward.
     *
     * @param pool    the worker team
     * @param y       output (B,T,C) at yOff
     * @param yOff    offset of y
     * @param lse     saved log-sum-exp (B,NH,T) at lseOff
     * @param lseOff  offset of lse
     * @param qkv     input (B,T,3C) at qkvOff
     * @param qkvOff  offset of qkv
     * @param scratch at least {@link #scratchSize} floats
     * @param b       batch
     * @param t       sequence length
     * @param c       channels
     * @param nh      heads
     */
    @SuppressWarnings("checkstyle:ParameterNumber")
    public static void forward(ParallelFor pool, float[] y, int yOff, float[] lse, int lseOff, float[] qkv, int qkvOff,
                               float[] scratch, int b, int t, int c, int nh) {
        Task k = TASKS.get();
        k.set(false, null, 0, null, 0, y, yOff, lse, lseOff, qkv, qkvOff, scratch, t, c, nh);
        pool.run(b * nh, k);
        k.set(false, null, 0, null, 0, null, 0, null, 0, null, 0, null, 0, 0, 0);
    }

    /** Copies the head's keys (third 1) or values (third 2) of one sequence to (hd,T) at dst. */
    private static void transpose(float[] qkv, int base, int third, int c, int h, int hd, int t,
                                  float[] dst, int dOff) {
        int row = 3 * c;
        for (int j = 0; j < t; j++) {
            int src = base + j * row + third * c + h * hd;
            for (int d = 0; d < hd; d++) {
                dst[dOff + d * t + j] = qkv[src + d];
            }
        }
    }

    /** out[j] = sum_d q[d] * mt[d*t + j] for j in [0, n): dot products as FMAs over j, no reductions. */
    @SuppressWarnings("checkstyle:ParameterNumber")
    private static void rowTimesTransposed(float[] q, int qOff, float[] mt, int mOff, int t, int hd,
                                           float[] out, int oOff, int n) {
        int lanes = S.length();
        int upper = S.loopBound(n);
        int j = 0;
        for (; j + 4 * lanes <= upper; j += 4 * lanes) {
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = FloatVector.zero(S);
            FloatVector a2 = FloatVector.zero(S);
            FloatVector a3 = FloatVector.zero(S);
            for (int d = 0; d < hd; d++) {
                FloatVector qd = FloatVector.broadcast(S, q[qOff + d]);
                int m = mOff + d * t + j;
                a0 = FloatVector.fromArray(S, mt, m).fma(qd, a0);
                a1 = FloatVector.fromArray(S, mt, m + lanes).fma(qd, a1);
                a2 = FloatVector.fromArray(S, mt, m + 2 * lanes).fma(qd, a2);
                a3 = FloatVector.fromArray(S, mt, m + 3 * lanes).fma(qd, a3);
            }
            a0.intoArray(out, oOff + j);
            a1.intoArray(out, oOff + j + lanes);
            a2.intoArray(out, oOff + j + 2 * lanes);
            a3.intoArray(out, oOff + j + 3 * lanes);
        }
        for (; j < upper; j += lanes) {
            FloatVector acc = FloatVector.zero(S);
            for (int d = 0; d < hd; d++) {
                acc = FloatVector.fromArray(S, mt, mOff + d * t + j).fma(FloatVector.broadcast(S, q[qOff + d]), acc);
            }
            acc.intoArray(out, oOff + j);
        }
        for (; j < n; j++) {
            float acc = 0f;
            for (int d = 0; d < hd; d++) {
                acc = Math.fma(mt[mOff + d * t + j], q[qOff + d], acc);
            }
            out[oOff + j] = acc;
        }
    }

    /** row[j] = exp(row[j] * scale - shift) for j in [0, n), elementwise and reproducible. */
    private static void expShifted(float[] row, int off, int n, float scale, float shift) {
        int upper = S.loopBound(n);
        int j = 0;
        for (; j < upper; j += S.length()) {
            FloatVector v = FloatVector.fromArray(S, row, off + j).mul(scale).sub(shift);
            VectorMath.exp(v).intoArray(row, off + j);
        }
        for (; j < n; j++) {
            row[off + j] = (float) Math.exp(row[off + j] * scale - shift);
        }
    }

    @SuppressWarnings("checkstyle:ParameterNumber")
    private static void forwardHead(float[] y, int yOff, float[] lse, int lseOff, float[] qkv, int qkvOff,
                                    float[] scratch, int task, int t, int c, int nh) {
        int bi = task / nh;
        int h = task % nh;
        int hd = c / nh;
        float scale = (float) (1.0 / Math.sqrt(hd));
        int row = 3 * c;
        int base = qkvOff + bi * t * row;
        int kt = task * perTask(t, hd);
        int scores = kt + 2 * hd * t;
        transpose(qkv, base, 1, c, h, hd, t, scratch, kt);
        for (int i = 0; i < t; i++) {
            int n = i + 1;
            rowTimesTransposed(qkv, base + i * row + h * hd, scratch, kt, t, hd, scratch, scores, n);
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                max = Math.max(max, scratch[scores + j]);
            }
            float shift = max * scale;
            expShifted(scratch, scores, n, scale, shift);
            float sum = 0f;
            for (int j = 0; j < n; j++) {
                sum += scratch[scores + j];
            }
            int yo = yOff + (bi * t + i) * c + h * hd;
            java.util.Arrays.fill(y, yo, yo + hd, 0f);
            float inv = 1f / sum;
            for (int j = 0; j < n; j++) {
                axpy(scratch[scores + j] * inv, qkv, base + j * row + 2 * c + h * hd, y, yo, hd);
            }
            lse[lseOff + task * t + i] = shift + (float) Math.log(sum);
        }
    }

    /**
     * Backward: overwrites {@code dqkv} (B,T,3C) with the gradient of q, k and v.
     *
     * @param pool    the worker team
     * @param dqkv    output gradient of qkv at dqkvOff (overwritten)
     * @param dqkvOff its offset
     * @param dy      gradient of y (B,T,C) at dyOff
     * @param dyOff   its offset
     * @param y       the forward output at yOff
     * @param yOff    its offset
     * @param lse     the saved log-sum-exp at lseOff
     * @param lseOff  its offset
     * @param qkv     the forward input at qkvOff
     * @param qkvOff  its offset
     * @param scratch at least {@link #scratchSize} floats
     * @param b       batch
     * @param t       sequence length
     * @param c       channels
     * @param nh      heads
     */
    @SuppressWarnings("checkstyle:ParameterNumber")
    public static void backward(ParallelFor pool, float[] dqkv, int dqkvOff, float[] dy, int dyOff,
                                float[] y, int yOff, float[] lse, int lseOff, float[] qkv, int qkvOff,
                                float[] scratch, int b, int t, int c, int nh) {
        Task k = TASKS.get();
        k.set(true, dqkv, dqkvOff, dy, dyOff, y, yOff, lse, lseOff, qkv, qkvOff, scratch, t, c, nh);
        pool.run(b * nh, k);
        k.set(false, null, 0, null, 0, null, 0, null, 0, null, 0, null, 0, 0, 0);
    }

    /** The arguments of one call, reused by its owner thread so that a call allocates nothing. */
    private static final class Task implements IntConsumer {
        private boolean backward;
        private float[] dqkv;
        private float[] dy;
        private float[] y;
        private float[] lse;
        private float[] qkv;
        private float[] scratch;
        private int dqkvOff;
        private int dyOff;
        private int yOff;
        private int lseOff;
        private int qkvOff;
        private int t;
        private int c;
        private int nh;

        @SuppressWarnings("checkstyle:ParameterNumber")
        void set(boolean isBackward, float[] dqkvArr, int dqkvAt, float[] dyArr, int dyAt, float[] yArr, int yAt,
                 float[] lseArr, int lseAt, float[] qkvArr, int qkvAt, float[] scratchArr, int seq, int channels,
                 int heads) {
            backward = isBackward;
            dqkv = dqkvArr;
            dqkvOff = dqkvAt;
            dy = dyArr;
            dyOff = dyAt;
            y = yArr;
            yOff = yAt;
            lse = lseArr;
            lseOff = lseAt;
            qkv = qkvArr;
            qkvOff = qkvAt;
            scratch = scratchArr;
            t = seq;
            c = channels;
            nh = heads;
        }

        @Override
        public void accept(int task) {
            if (backward) {
                backwardHead(dqkv, dqkvOff, dy, dyOff, y, yOff, lse, lseOff, qkv, qkvOff, scratch, task, t, c, nh);
            } else {
                forwardHead(y, yOff, lse, lseOff, qkv, qkvOff, scratch, task, t, c, nh);
            }
        }
    }

    @SuppressWarnings("checkstyle:ParameterNumber")
    private static void backwardHead(float[] dqkv, int dqkvOff, float[] dy, int dyOff, float[] y, int yOff,
                                     float[] lse, int lseOff, float[] qkv, int qkvOff, float[] scratch,
                                     int task, int t, int c, int nh) {
        int bi = task / nh;
        int h = task % nh;
        int hd = c / nh;
        float scale = (float) (1.0 / Math.sqrt(hd));
        int row = 3 * c;
        int base = qkvOff + bi * t * row;
        int dbase = dqkvOff + bi * t * row;
        int kt = task * perTask(t, hd);
        int vt = kt + hd * t;
        int p = vt + hd * t;
        int ds = p + t;
        transpose(qkv, base, 1, c, h, hd, t, scratch, kt);
        transpose(qkv, base, 2, c, h, hd, t, scratch, vt);
        for (int i = 0; i < t; i++) {
            int d = dbase + i * row + h * hd;
            java.util.Arrays.fill(dqkv, d, d + hd, 0f);
            java.util.Arrays.fill(dqkv, d + c, d + c + hd, 0f);
            java.util.Arrays.fill(dqkv, d + 2 * c, d + 2 * c + hd, 0f);
        }
        for (int i = 0; i < t; i++) {
            int n = i + 1;
            int q = base + i * row + h * hd;
            int dyo = dyOff + (bi * t + i) * c + h * hd;
            rowTimesTransposed(qkv, q, scratch, kt, t, hd, scratch, p, n);
            expShifted(scratch, p, n, scale, lse[lseOff + task * t + i]);
            rowTimesTransposed(dy, dyo, scratch, vt, t, hd, scratch, ds, n);
            float dDotY = dot(dy, dyo, y, yOff + (bi * t + i) * c + h * hd, hd);
            int upper = S.loopBound(n);
            int j = 0;
            for (; j < upper; j += S.length()) {
                FloatVector pv = FloatVector.fromArray(S, scratch, p + j);
                FloatVector dp = FloatVector.fromArray(S, scratch, ds + j);
                pv.mul(dp.sub(dDotY)).mul(scale).intoArray(scratch, ds + j);
            }
            for (; j < n; j++) {
                scratch[ds + j] = scratch[p + j] * (scratch[ds + j] - dDotY) * scale;
            }
            int dq = dbase + i * row + h * hd;
            for (j = 0; j < n; j++) {
                float g = scratch[ds + j];
                int k = base + j * row + c + h * hd;
                int dk = dbase + j * row + c + h * hd;
                axpy(g, qkv, k, dqkv, dq, hd);
                axpy(g, qkv, q, dqkv, dk, hd);
                axpy(scratch[p + j], dy, dyo, dqkv, dk + c, hd);
            }
        }
    }

    private static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        int i = 0;
        float sum = 0f;
        int upper = S.loopBound(n);
        if (upper > 0) {
            FloatVector acc = FloatVector.zero(S);
            for (; i < upper; i += S.length()) {
                acc = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc);
            }
            sum = VectorMath.sum(acc);
        }
        for (; i < n; i++) {
            sum += a[aOff + i] * b[bOff + i];
        }
        return sum;
    }

    private static void axpy(float alpha, float[] x, int xOff, float[] yv, int yo, int n) {
        int i = 0;
        int upper = S.loopBound(n);
        FloatVector av = FloatVector.broadcast(S, alpha);
        for (; i < upper; i += S.length()) {
            FloatVector.fromArray(S, x, xOff + i).fma(av, FloatVector.fromArray(S, yv, yo + i)).intoArray(yv, yo + i);
        }
        for (; i < n; i++) {
            yv[yo + i] += alpha * x[xOff + i];
        }
    }

    /**
     * Scalar reference forward that materialises the full {@code (T,T)} probability matrix per
     * head (as llm.c's CPU code does); offsets zero.
     *
     * @param y   output (B,T,C)
     * @param att probabilities (B,NH,T,T), written
     * @param qkv input (B,T,3C)
     * @param b   batch
     * @param t   sequence length
     * @param c   channels
     * @param nh  heads
     */
    @SuppressWarnings("checkstyle:ParameterNumber")
    public static void forwardReference(float[] y, float[] att, float[] qkv, int b, int t, int c, int nh) {
        int hd = c / nh;
        float scale = (float) (1.0 / Math.sqrt(hd));
        for (int bi = 0; bi < b; bi++) {
            for (int h = 0; h < nh; h++) {
                for (int i = 0; i < t; i++) {
                    int a = ((bi * nh + h) * t + i) * t;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int j = 0; j <= i; j++) {
                        float s = 0f;
                        for (int e = 0; e < hd; e++) {
                            s += qkv[(bi * t + i) * 3 * c + h * hd + e] * qkv[(bi * t + j) * 3 * c + c + h * hd + e];
                        }
                        att[a + j] = s * scale;
                        max = Math.max(max, s * scale);
                    }
                    float sum = 0f;
                    for (int j = 0; j < t; j++) {
                        att[a + j] = j <= i ? (float) Math.exp(att[a + j] - max) : 0f;
                        sum += att[a + j];
                    }
                    for (int j = 0; j <= i; j++) {
                        att[a + j] /= sum;
                    }
                    for (int e = 0; e < hd; e++) {
                        float acc = 0f;
                        for (int j = 0; j <= i; j++) {
                            acc += att[a + j] * qkv[(bi * t + j) * 3 * c + 2 * c + h * hd + e];
                        }
                        y[(bi * t + i) * c + h * hd + e] = acc;
                    }
                }
            }
        }
    }

    /**
     * Scalar reference backward over the materialised probabilities from {@link #forwardReference};
     * overwrites dqkv; offsets zero.
     *
     * @param dqkv gradient of qkv (B,T,3C), overwritten
     * @param dy   gradient of y (B,T,C)
     * @param att  probabilities (B,NH,T,T)
     * @param qkv  forward input
     * @param b    batch
     * @param t    sequence length
     * @param c    channels
     * @param nh   heads
     */
    @SuppressWarnings("checkstyle:ParameterNumber")
    public static void backwardReference(float[] dqkv, float[] dy, float[] att, float[] qkv,
                                         int b, int t, int c, int nh) {
        int hd = c / nh;
        float scale = (float) (1.0 / Math.sqrt(hd));
        java.util.Arrays.fill(dqkv, 0, b * t * 3 * c, 0f);
        float[] datt = new float[t];
        for (int bi = 0; bi < b; bi++) {
            for (int h = 0; h < nh; h++) {
                for (int i = 0; i < t; i++) {
                    int a = ((bi * nh + h) * t + i) * t;
                    int dyo = (bi * t + i) * c + h * hd;
                    for (int j = 0; j <= i; j++) {
                        int v = (bi * t + j) * 3 * c + 2 * c + h * hd;
                        float s = 0f;
                        for (int e = 0; e < hd; e++) {
                            s += dy[dyo + e] * qkv[v + e];
                            dqkv[v + e] += att[a + j] * dy[dyo + e];
                        }
                        datt[j] = s;
                    }
                    for (int j = 0; j <= i; j++) {
                        float dpre = 0f;
                        for (int m = 0; m <= i; m++) {
                            float ind = j == m ? 1f : 0f;
                            dpre += att[a + m] * (ind - att[a + j]) * datt[m];
                        }
                        int q = (bi * t + i) * 3 * c + h * hd;
                        int k = (bi * t + j) * 3 * c + c + h * hd;
                        for (int e = 0; e < hd; e++) {
                            dqkv[q + e] += qkv[k + e] * dpre * scale;
                            dqkv[k + e] += qkv[q + e] * dpre * scale;
                        }
                    }
                }
            }
        }
    }
}
