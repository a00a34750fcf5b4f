package dev.starling.tensor.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

class VectorMathTest {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    @Test
    void expAndTanhShouldMatchJavaMathClosely() {
        float[] x = new float[S.length()];
        float[] out = new float[S.length()];
        for (double base = -80; base < 80; base += 0.173 * S.length()) {
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (base + 0.173 * i);
            }
            VectorMath.exp(FloatVector.fromArray(S, x, 0)).intoArray(out, 0);
            for (int i = 0; i < x.length; i++) {
                double want = Math.exp(x[i]);
                assertEquals(want, out[i], want * 3e-7, "exp(" + x[i] + ")");
            }
            VectorMath.tanh(FloatVector.fromArray(S, x, 0).mul(0.05f)).intoArray(out, 0);
            for (int i = 0; i < x.length; i++) {
                assertEquals(Math.tanh(x[i] * 0.05f), out[i], 2e-7, "tanh(" + x[i] * 0.05f + ")");
                assertEquals(Math.tanh(x[i] * 0.05f), VectorMath.tanh(x[i] * 0.05f), 2e-7);
            }
        }
    }

    @Test
    void sumShouldAddLanesLeftToRight() {
        float[] x = new float[S.length()];
        x[0] = 1e8f;
        for (int i = 1; i < x.length; i++) {
            x[i] = 1f;
        }
        float expected = 0f;
        for (float f : x) {
            expected += f;
        }
        assertEquals(expected, VectorMath.sum(FloatVector.fromArray(S, x, 0)));
    }
}
