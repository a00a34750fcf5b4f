package dev.starling.tensor.ops;

import static dev.starling.tensor.ops.Numerics.assertClose;
import static dev.starling.tensor.ops.Numerics.assertGradient;
import static dev.starling.tensor.ops.Numerics.dot;
import static dev.starling.tensor.ops.Numerics.random;

import dev.starling.tensor.cpu.ParallelFor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LayerNormTest {
    @ParameterizedTest
    @CsvSource({"7,37,1", "12,64,2", "3,130,2"})
    void shouldMatchScalarReferenceForwardAndBackward(int n, int c, int threads) {
        float[] x = random(1, n * c, 2.0);
        float[] w = random(2, c, 1.0);
        float[] b = random(3, c, 1.0);
        float[] dout = random(4, n * c, 1.0);
        float[] outRef = new float[n * c];
        float[] mean = new float[n];
        float[] rstd = new float[n];
        LayerNorm.forwardReference(outRef, mean, rstd, x, w, b, n, c);
        float[] dxRef = new float[n * c];
        float[] dwRef = new float[c];
        float[] dbRef = new float[c];
        LayerNorm.backwardReference(dxRef, dwRef, dbRef, dout, x, w, mean, rstd, n, c);

        float[] params = new float[2 * c + 5];
        System.arraycopy(w, 0, params, 5, c);
        System.arraycopy(b, 0, params, 5 + c, c);
        float[] out = new float[n * c + 3];
        float[] stats = new float[2 * n + 1];
        float[] dx = new float[n * c];
        float[] g = new float[2 * c];
        try (ParallelFor pool = new ParallelFor(threads)) {
            LayerNorm.forward(pool, out, 3, stats, 1, x, 0, params, 5, params, 5 + c, n, c);
            LayerNorm.backward(pool, dx, 0, g, 0, g, c, dout, 0, x, 0, params, 5, stats, 1, n, c);
        }
        float[] outFast = java.util.Arrays.copyOfRange(out, 3, 3 + n * c);
        assertClose("out", outRef, outFast, 1e-5, 1e-5);
        assertClose("dx", dxRef, dx, 1e-5, 1e-4);
        assertClose("dw", dwRef, java.util.Arrays.copyOfRange(g, 0, c), 1e-4, 1e-4);
        assertClose("db", dbRef, java.util.Arrays.copyOfRange(g, c, 2 * c), 1e-4, 1e-4);
    }

    @ParameterizedTest
    @CsvSource({"3,10"})
    void referenceBackwardShouldMatchFiniteDifferences(int n, int c) {
        float[] x = random(5, n * c, 1.0);
        float[] w = random(6, c, 1.0);
        float[] b = random(7, c, 1.0);
        float[] r = random(8, n * c, 1.0);
        float[] out = new float[n * c];
        float[] mean = new float[n];
        float[] rstd = new float[n];
        LayerNorm.forwardReference(out, mean, rstd, x, w, b, n, c);
        float[] dx = new float[n * c];
        float[] dw = new float[c];
        float[] db = new float[c];
        LayerNorm.backwardReference(dx, dw, db, r, x, w, mean, rstd, n, c);
        java.util.function.DoubleSupplier loss = () -> {
            LayerNorm.forwardReference(out, mean, rstd, x, w, b, n, c);
            return dot(out, r);
        };
        assertGradient("dx", x, dx, loss, 1e-2f, 2e-3, 2e-2);
        assertGradient("dw", w, dw, loss, 1e-2f, 2e-3, 2e-2);
        assertGradient("db", b, db, loss, 1e-2f, 2e-3, 2e-2);
    }
}
