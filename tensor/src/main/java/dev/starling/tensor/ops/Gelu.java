package dev.starling.tensor.ops;

import dev.starling.tensor.cpu.ParallelFor;
import java.util.function.IntConsumer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * GELU, tanh form (GPT-2), elementwise over {@code n} values:
 * {@code y = x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))}. Backward needs only the input.
 * Fast kernels: Vector API over blocks of the flat array, split across the worker team.
 * Thread: the pool's owner thread.
 */
public final class Gelu {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final float SCALE = (float) Math.sqrt(2.0 / Math.PI);
    private static final float CUBE = 0.044715f;
    private static final int BLOCK = 4096;
    private static final ThreadLocal<Task> TASKS = ThreadLocal.withInitial(Task::new);

    private Gelu() {
    }

    /**
     * Forward: {@code out[oOff+i] = gelu(x[xOff+i])} for {@code i < n}.
     *
     * @param pool the worker team
     * @param out  output array
     * @param oOff output offset
     * @param x    input array
     * @param xOff input offset
     * @param n    element count
     */
    public static void forward(ParallelFor pool, float[] out, int oOff, float[] x, int xOff, int n) {
        Task t = TASKS.get();
        t.backward = false;
        t.out = out;
        t.oOff = oOff;
        t.x = x;
        t.xOff = xOff;
        t.n = n;
        pool.run((n + BLOCK - 1) / BLOCK, t);
        t.clear();
    }

    /**
     * Backward: {@code dx[dxOff+i] = gelu'(x[xOff+i]) * dout[doOff+i]} (overwrites; dx may alias dout).
     *
     * @param pool  the worker team
     * @param dx    input gradient array
     * @param dxOff its offset
     * @param dout  output gradient array
     * @param doOff its offset
     * @param x     the forward input
     * @param xOff  its offset
     * @param n     element count
     */
    @SuppressWarnings("checkstyle:ParameterNumber")
    public static void backward(ParallelFor pool, float[] dx, int dxOff, float[] dout, int doOff,
                                float[] x, int xOff, int n) {
        Task t = TASKS.get();
        t.backward = true;
        t.out = dx;
        t.oOff = dxOff;
        t.dout = dout;
        t.doOff = doOff;
        t.x = x;
        t.xOff = xOff;
        t.n = n;
        pool.run((n + BLOCK - 1) / BLOCK, t);
        t.clear();
    }

    /** The arguments of one call, reused by its owner thread so that a call allocates nothing. */
    private static final class Task implements IntConsumer {
        boolean backward;
        float[] out;
        float[] x;
        float[] dout;
        int oOff;
        int xOff;
        int doOff;
        int n;

        @Override
        public void accept(int k) {
            if (backward) {
                backwardBlock(out, oOff, dout, doOff, x, xOff, n, k);
            } else {
                forwardBlock(out, oOff, x, xOff, n, k);
            }
        }

        void clear() {
            out = null;
            x = null;
            dout = null;
        }
    }

    private static void forwardBlock(float[] out, int oOff, float[] x, int xOff, int n, int k) {
        int from = k * BLOCK;
        int to = Math.min(n, from + BLOCK);
        int i = from;
        int upper = from + S.loopBound(to - from);
        FloatVector half = FloatVector.broadcast(S, 0.5f);
        for (; i < upper; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, xOff + i);
            FloatVector inner = v.mul(v).mul(v).mul(CUBE).add(v).mul(SCALE);
            FloatVector t = VectorMath.tanh(inner);
            v.mul(half).mul(t.add(1f)).intoArray(out, oOff + i);
        }
        for (; i < to; i++) {
            out[oOff + i] = scalar(x[xOff + i]);
        }
    }

    @SuppressWarnings("checkstyle:ParameterNumber")
    private static void backwardBlock(float[] dx, int dxOff, float[] dout, int doOff, float[] x, int xOff, int n,
                                      int k) {
        int from = k * BLOCK;
        int to = Math.min(n, from + BLOCK);
        int i = from;
        int upper = from + S.loopBound(to - from);
        for (; i < upper; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, xOff + i);
            FloatVector sq = v.mul(v);
            FloatVector inner = sq.mul(v).mul(CUBE).add(v).mul(SCALE);
            FloatVector t = VectorMath.tanh(inner);
            FloatVector sech2 = t.mul(t).neg().add(1f);
            FloatVector dinner = sq.mul(3f * CUBE).add(1f).mul(SCALE);
            FloatVector grad = t.add(1f).mul(0.5f).add(v.mul(0.5f).mul(sech2).mul(dinner));
            grad.mul(FloatVector.fromArray(S, dout, doOff + i)).intoArray(dx, dxOff + i);
        }
        for (; i < to; i++) {
            dx[dxOff + i] = scalarGrad(x[xOff + i]) * dout[doOff + i];
        }
    }

    /**
     * Scalar GELU, the reference.
     *
     * @param x input
     * @return gelu(x)
     */
    public static float scalar(float x) {
        float t = VectorMath.tanh(SCALE * (x + CUBE * x * x * x));
        return 0.5f * x * (1f + t);
    }

    /**
     * Scalar derivative of GELU, the reference.
     *
     * @param x input
     * @return d gelu / dx at x
     */
    public static float scalarGrad(float x) {
        float t = VectorMath.tanh(SCALE * (x + CUBE * x * x * x));
        float sech2 = 1f - t * t;
        return 0.5f * (1f + t) + 0.5f * x * sech2 * SCALE * (1f + 3f * CUBE * x * x);
    }

    /**
     * Scalar reference of {@link #forward}, offsets zero.
     *
     * @param out output
     * @param x   input
     * @param n   element count
     */
    public static void forwardReference(float[] out, float[] x, int n) {
        for (int i = 0; i < n; i++) {
            out[i] = scalar(x[i]);
        }
    }

    /**
     * Scalar reference of {@link #backward}, offsets zero.
     *
     * @param dx   input gradient (overwritten)
     * @param dout output gradient
     * @param x    forward input
     * @param n    element count
     */
    public static void backwardReference(float[] dx, float[] dout, float[] x, int n) {
        for (int i = 0; i < n; i++) {
            dx[i] = scalarGrad(x[i]) * dout[i];
        }
    }
}
