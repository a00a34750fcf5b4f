package dev.starling.tensor.ops;

import static dev.starling.tensor.ops.Numerics.assertClose;
import static dev.starling.tensor.ops.Numerics.random;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.starling.tensor.cpu.ParallelFor;
import org.junit.jupiter.api.Test;

class GeluTest {
    @Test
    void shouldMatchScalarReferenceForwardAndBackward() {
        int n = 10_003;
        float[] x = random(1, n, 3.0);
        float[] dout = random(2, n, 1.0);
        float[] ref = new float[n];
        float[] dref = new float[n];
        Gelu.forwardReference(ref, x, n);
        Gelu.backwardReference(dref, dout, x, n);
        float[] out = new float[n + 2];
        float[] dx = new float[n];
        try (ParallelFor pool = new ParallelFor(2)) {
            Gelu.forward(pool, out, 2, x, 0, n);
            Gelu.backward(pool, dx, 0, dout, 0, x, 0, n);
        }
        assertClose("gelu", ref, java.util.Arrays.copyOfRange(out, 2, n + 2), 1e-6, 1e-5);
        assertClose("dgelu", dref, dx, 1e-6, 1e-5);
    }

    @Test
    void scalarGradientShouldMatchFiniteDifferences() {
        for (double x = -5; x <= 5; x += 0.37) {
            double h = 1e-3;
            double numeric = (Gelu.scalar((float) (x + h)) - Gelu.scalar((float) (x - h))) / (2 * h);
            assertEquals(numeric, Gelu.scalarGrad((float) x), 2e-3, "at " + x);
        }
    }

    @Test
    void shouldBeTheTanhFormOfGpt2() {
        assertEquals(0f, Gelu.scalar(0f));
        assertEquals(0.8411920f, Gelu.scalar(1f), 1e-6);
        assertEquals(-0.0454023f, Gelu.scalar(-2f), 1e-6);
    }
}
