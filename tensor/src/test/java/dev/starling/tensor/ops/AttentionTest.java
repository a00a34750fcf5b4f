package dev.starling.tensor.ops;

import static dev.starling.tensor.ops.Numerics.assertClose;
import static dev.starling.tensor.ops.Numerics.assertGradient;
import static dev.starling.tensor.ops.Numerics.dot;
import static dev.starling.tensor.ops.Numerics.random;

import dev.starling.tensor.cpu.ParallelFor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AttentionTest {
    @ParameterizedTest
    @CsvSource({"2,9,16,2,2", "1,17,24,3,1", "3,5,64,2,2", "1,22,48,2,2", "2,7,128,2,1"})
    void fusedKernelShouldMatchMaterialisedReference(int b, int t, int c, int nh, int threads) {
        float[] qkv = random(1, b * t * 3 * c, 1.0);
        float[] dy = random(2, b * t * c, 1.0);
        float[] yRef = new float[b * t * c];
        float[] att = new float[b * nh * t * t];
        Attention.forwardReference(yRef, att, qkv, b, t, c, nh);
        float[] dqkvRef = new float[b * t * 3 * c];
        Attention.backwardReference(dqkvRef, dy, att, qkv, b, t, c, nh);

        float[] y = new float[b * t * c];
        float[] lse = new float[b * nh * t];
        float[] scratch = new float[Attention.scratchSize(b, t, c, nh)];
        float[] dqkv = new float[b * t * 3 * c];
        java.util.Arrays.fill(dqkv, 9f);
        try (ParallelFor pool = new ParallelFor(threads)) {
            Attention.forward(pool, y, 0, lse, 0, qkv, 0, scratch, b, t, c, nh);
            Attention.backward(pool, dqkv, 0, dy, 0, y, 0, lse, 0, qkv, 0, scratch, b, t, c, nh);
        }
        assertClose("y", yRef, y, 1e-5, 1e-4);
        assertClose("dqkv", dqkvRef, dqkv, 1e-5, 1e-3);
    }

    @Test
    void fusedBackwardShouldMatchFiniteDifferences() {
        int b = 1;
        int t = 4;
        int c = 8;
        int nh = 2;
        float[] qkv = random(3, b * t * 3 * c, 1.0);
        float[] r = random(4, b * t * c, 1.0);
        float[] y = new float[b * t * c];
        float[] lse = new float[b * nh * t];
        float[] scratch = new float[Attention.scratchSize(b, t, c, nh)];
        float[] dqkv = new float[b * t * 3 * c];
        try (ParallelFor pool = new ParallelFor(1)) {
            Attention.forward(pool, y, 0, lse, 0, qkv, 0, scratch, b, t, c, nh);
            Attention.backward(pool, dqkv, 0, r, 0, y, 0, lse, 0, qkv, 0, scratch, b, t, c, nh);
            assertGradient("dqkv", qkv, dqkv, () -> {
                Attention.forward(pool, y, 0, lse, 0, qkv, 0, scratch, b, t, c, nh);
                return dot(y, r);
            }, 1e-2f, 2e-3, 2e-2);
        }
    }

    @Test
    void shouldDropProbabilitiesAndBackpropagateThroughTheSameMask() {
        int b = 2;
        int t = 6;
        int c = 32;
        int nh = 2;
        float p = 0.3f;
        long seed = 77L;
        float[] qkv = random(5, b * t * 3 * c, 1.0);
        float[] r = random(6, b * t * c, 1.0);
        float[] y = new float[b * t * c];
        float[] yPlain = new float[b * t * c];
        float[] lse = new float[b * nh * t];
        float[] scratch = new float[Attention.scratchSize(b, t, c, nh)];
        float[] dqkv = new float[b * t * 3 * c];
        try (ParallelFor pool = new ParallelFor(2)) {
            Attention.forward(pool, yPlain, 0, lse, 0, qkv, 0, scratch, b, t, c, nh);
            Attention.forward(pool, y, 0, lse, 0, qkv, 0, scratch, b, t, c, nh, p, seed);
            org.junit.jupiter.api.Assertions.assertFalse(java.util.Arrays.equals(y, yPlain), "dropout changed nothing");
            Attention.backward(pool, dqkv, 0, r, 0, y, 0, lse, 0, qkv, 0, scratch, b, t, c, nh, p, seed);
            assertGradient("dqkv with attention dropout", qkv, dqkv, () -> {
                Attention.forward(pool, y, 0, lse, 0, qkv, 0, scratch, b, t, c, nh, p, seed);
                return dot(y, r);
            }, 1e-2f, 2e-3, 2e-2);
        }
    }
}
