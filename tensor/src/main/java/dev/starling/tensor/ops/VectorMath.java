package dev.starling.tensor.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Vector functions built only from IEEE-exact lane operations (add, mul, fma, compare, bit
 * casts), so they give the same bits interpreted, C1- or C2-compiled, on every x86 and ARM JVM.
 * The Vector API's own {@code EXP}/{@code TANH} and floating-point {@code reduceLanes(ADD)} may
 * change results when the JIT swaps its Java fallback for an intrinsic, which would break
 * bit-for-bit reproducibility between peers (and between two runs of one peer). Stateless.
 */
public final class VectorMath {
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 12582912f;
    private static final float MAX_X = 88.3762626647949f;
    private static final float MIN_X = -87.3365447504f;

    private VectorMath() {
    }

    /**
     * Sums the lanes in lane order.
     *
     * @param v the vector
     * @return {@code v[0] + v[1] + ... } evaluated left to right
     */
    public static float sum(FloatVector v) {
        float s = 0f;
        for (int i = 0; i < v.length(); i++) {
            s += v.lane(i);
        }
        return s;
    }

    /**
     * {@code e^x} per lane (Cephes polynomial, about 2 ulp); inputs are clamped to
     * {@code [-87.3, 88.3]}, so very negative x gives about 1e-38 rather than 0.
     *
     * @param x the exponents
     * @return the powers
     */
    public static FloatVector exp(FloatVector x) {
        FloatVector c = x.max(MIN_X).min(MAX_X);
        FloatVector n = c.fma(FloatVector.broadcast(c.species(), LOG2E), FloatVector.broadcast(c.species(), ROUND))
                .sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(c.species(), -LN2_HI), c);
        r = n.fma(FloatVector.broadcast(c.species(), -LN2_LO), r);
        FloatVector p = r.fma(FloatVector.broadcast(c.species(), 1.9875691500e-4f),
                FloatVector.broadcast(c.species(), 1.3981999507e-3f));
        p = p.fma(r, FloatVector.broadcast(c.species(), 8.3334519073e-3f));
        p = p.fma(r, FloatVector.broadcast(c.species(), 4.1665795894e-2f));
        p = p.fma(r, FloatVector.broadcast(c.species(), 1.6666665459e-1f));
        p = p.fma(r, FloatVector.broadcast(c.species(), 5.0000001201e-1f));
        p = p.mul(r).fma(r, r).add(1f);
        IntVector bits = ((IntVector) n.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
        return p.mul(bits.reinterpretAsFloats());
    }

    /**
     * {@code tanh(x)} per lane as {@code 1 - 2 / (e^{2x} + 1)}.
     *
     * @param x the inputs
     * @return the hyperbolic tangents
     */
    public static FloatVector tanh(FloatVector x) {
        FloatVector e = exp(x.mul(2f));
        return FloatVector.broadcast(x.species(), 1f).sub(FloatVector.broadcast(x.species(), 2f).div(e.add(1f)));
    }

    /**
     * Scalar {@code tanh} by the same formula over {@link Math#exp} (which the JVM computes with the
     * same stub in every execution mode).
     *
     * @param x the input
     * @return tanh(x)
     */
    public static float tanh(float x) {
        float e = (float) Math.exp(Math.min(2f * x, 2f * MAX_X / 2f));
        return 1f - 2f / (e + 1f);
    }
}
