package dev.starling.tensor.ops;

import static dev.starling.tensor.ops.Numerics.assertClose;
import static dev.starling.tensor.ops.Numerics.assertGradient;
import static dev.starling.tensor.ops.Numerics.dot;
import static dev.starling.tensor.ops.Numerics.random;

import dev.starling.tensor.cpu.ParallelFor;
import org.junit.jupiter.api.Test;

class LinearEmbeddingTest {
    @Test
    void linearBackwardShouldMatchFiniteDifferences() {
        int n = 5;
        int c = 7;
        int oc = 11;
        float[] x = random(1, n * c, 1.0);
        float[] params = random(2, oc * c + oc, 1.0);
        float[] r = random(3, n * oc, 1.0);
        float[] out = new float[n * oc];
        float[] dx = random(4, n * c, 1.0);
        float[] dxStart = dx.clone();
        float[] grads = new float[oc * c + oc];
        try (ParallelFor pool = new ParallelFor(2)) {
            Linear.forward(pool, out, 0, x, 0, params, 0, oc * c, n, c, oc);
            Linear.backward(pool, dx, 0, true, grads, 0, oc * c, r, 0, x, 0, params, 0, n, c, oc);
            for (int i = 0; i < dx.length; i++) {
                dx[i] -= dxStart[i];
            }
            java.util.function.DoubleSupplier loss = () -> {
                Linear.forward(pool, out, 0, x, 0, params, 0, oc * c, n, c, oc);
                return dot(out, r);
            };
            assertGradient("dx", x, dx, loss, 1e-2f, 2e-3, 1e-2);
            assertGradient("dW,db", params, grads, loss, 1e-2f, 2e-3, 1e-2);
        }
    }

    @Test
    void embeddingShouldAddTablesAndScatterRepeatedTokensWithoutRaces() {
        int b = 2;
        int t = 3;
        int c = 20;
        int v = 4;
        float[] params = random(5, v * c + t * c, 1.0);
        int[] tokens = {1, 1, 3, 1, 0, 1};
        float[] out = new float[b * t * c];
        float[] dout = random(6, b * t * c, 1.0);
        float[] grads = new float[params.length];
        float[] expected = new float[params.length];
        for (int r = 0; r < b * t; r++) {
            for (int i = 0; i < c; i++) {
                expected[tokens[r] * c + i] += dout[r * c + i];
                expected[v * c + (r % t) * c + i] += dout[r * c + i];
            }
        }
        try (ParallelFor pool = new ParallelFor(2)) {
            Embedding.forward(pool, out, 0, tokens, 0, params, 0, v * c, b, t, c);
            Embedding.backward(pool, grads, 0, v * c, dout, 0, tokens, 0, b, t, c);
        }
        float[] expectedOut = new float[b * t * c];
        for (int r = 0; r < b * t; r++) {
            for (int i = 0; i < c; i++) {
                expectedOut[r * c + i] = params[tokens[r] * c + i] + params[v * c + (r % t) * c + i];
            }
        }
        assertClose("out", expectedOut, out, 0, 0);
        assertClose("grads", expected, grads, 1e-6, 1e-6);
    }

    @Test
    void residualShouldAddAndAccumulate() {
        float[] a = random(7, 5000, 1.0);
        float[] b = random(8, 5000, 1.0);
        float[] out = new float[5000];
        float[] expected = new float[5000];
        for (int i = 0; i < 5000; i++) {
            expected[i] = a[i] + b[i];
        }
        try (ParallelFor pool = new ParallelFor(2)) {
            Residual.forward(pool, out, 0, a, 0, b, 0, 5000);
            assertClose("sum", expected, out, 0, 0);
            Residual.accumulate(pool, a, 0, b, 0, 5000);
        }
        assertClose("accumulated", expected, a, 0, 0);
    }
}
