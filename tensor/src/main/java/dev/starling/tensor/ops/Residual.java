package dev.starling.tensor.ops;

import dev.starling.tensor.cpu.ParallelFor;
import java.util.function.IntConsumer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Residual add, {@code out = a + b} elementwise. Its backward passes the output gradient to both
 * inputs unchanged, so a layer keeps one running residual gradient and adds each branch's input
 * gradient into it ({@link #accumulate}). Thread: the pool's owner thread.
 */
public final class Residual {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int BLOCK = 4096;
    private static final ThreadLocal<Task> TASKS = ThreadLocal.withInitial(Task::new);

    private Residual() {
    }

    /**
     * Forward: {@code out[oOff+i] = a[aOff+i] + b[bOff+i]}; out may alias a or b.
     *
     * @param pool the worker team
     * @param out  output array
     * @param oOff its offset
     * @param a    first input
     * @param aOff its offset
     * @param b    second input
     * @param bOff its offset
     * @param n    element count
     */
    @SuppressWarnings("checkstyle:ParameterNumber")
    public static void forward(ParallelFor pool, float[] out, int oOff, float[] a, int aOff, float[] b, int bOff,
                               int n) {
        Task k = TASKS.get();
        k.set(out, oOff, a, aOff, b, bOff, n);
        pool.run((n + BLOCK - 1) / BLOCK, k);
        k.set(null, 0, null, 0, null, 0, 0);
    }

    /** The arguments of one call, reused by its owner thread so that a call allocates nothing. */
    private static final class Task implements IntConsumer {
        private float[] out;
        private float[] a;
        private float[] b;
        private int oOff;
        private int aOff;
        private int bOff;
        private int n;

        @SuppressWarnings("checkstyle:ParameterNumber")
        void set(float[] outArr, int outAt, float[] aArr, int aAt, float[] bArr, int bAt, int count) {
            out = outArr;
            oOff = outAt;
            a = aArr;
            aOff = aAt;
            b = bArr;
            bOff = bAt;
            n = count;
        }

        @Override
        public void accept(int k) {
            int from = k * BLOCK;
            int to = Math.min(n, from + BLOCK);
            int i = from;
            int upper = from + S.loopBound(to - from);
            for (; i < upper; i += S.length()) {
                FloatVector.fromArray(S, a, aOff + i).add(FloatVector.fromArray(S, b, bOff + i))
                        .intoArray(out, oOff + i);
            }
            for (; i < to; i++) {
                out[oOff + i] = a[aOff + i] + b[bOff + i];
            }
        }
    }

    /**
     * Backward for one input: {@code dx[dxOff+i] += dout[doOff+i]}.
     *
     * @param pool  the worker team
     * @param dx    input gradient, accumulated
     * @param dxOff its offset
     * @param dout  output gradient
     * @param doOff its offset
     * @param n     element count
     */
    public static void accumulate(ParallelFor pool, float[] dx, int dxOff, float[] dout, int doOff, int n) {
        forward(pool, dx, dxOff, dx, dxOff, dout, doOff, n);
    }
}
