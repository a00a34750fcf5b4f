package dev.starling.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The packed Vector API SGEMM against the scalar reference: many shapes (edges of every block
 * size, the model's shapes), all four transpose combinations, offsets, padded leading dimensions,
 * and beta 0, 1 and 0.5. Tolerance: {@code atol + rtol} scaled by {@code sqrt(k)} times the
 * magnitude of the terms, since both sides sum k products in float but in different orders.
 */
class GemmTest {
    private static ParallelFor pool2;
    private static ParallelFor pool1;

    @BeforeAll
    static void startPools() {
        pool2 = new ParallelFor(2);
        pool1 = new ParallelFor(1);
    }

    @AfterAll
    static void stopPools() {
        pool2.close();
        pool1.close();
    }

    static Stream<Arguments> shapes() {
        int[][] mnk = {
            {1, 1, 1}, {1, 7, 3}, {5, 1, 9}, {2, 3, 4}, {6, 16, 1}, {7, 17, 2}, {17, 33, 65},
            {12, 32, 256}, {13, 31, 257}, {64, 64, 64}, {150, 40, 30}, {145, 97, 513}, {33, 200, 300},
            {300, 17, 11}, {1, 300, 80}, {100, 1, 300},
        };
        Stream.Builder<Arguments> out = Stream.builder();
        int seed = 1;
        for (int[] s : mnk) {
            for (int t = 0; t < 4; t++) {
                out.add(Arguments.of(s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0, seed++));
            }
        }
        return out.build();
    }

    @ParameterizedTest(name = "m={0} n={1} k={2} transA={3} transB={4}")
    @MethodSource("shapes")
    void shouldMatchReferenceForEveryShapeAndTransposeWithBeta0And1AndHalf(
            int m, int n, int k, boolean transA, boolean transB, int seed) {
        for (float beta : new float[] {0f, 1f, 0.5f}) {
            for (ParallelFor pool : new ParallelFor[] {pool1, pool2}) {
                check(pool, transA, transB, m, n, k, 1f, beta, 0, 0, seed);
            }
        }
    }

    @ParameterizedTest(name = "m={0} n={1} k={2} transA={3} transB={4}")
    @MethodSource("shapes")
    void shouldHonourOffsetsPaddedLeadingDimensionsAndAlpha(
            int m, int n, int k, boolean transA, boolean transB, int seed) {
        check(pool2, transA, transB, m, n, k, -0.75f, 0.5f, 5, 3, seed + 1000);
        check(pool2, transA, transB, m, n, k, 2f, 0f, 1, 19, seed + 2000);
    }

    static Stream<Arguments> modelShapes() {
        // GPT 4 layers, 256 channels, vocab 512, B*T = 1024: forward (M, K, N); dX = dY * W^T; dW = X^T * dY.
        int[][] fwd = {{1024, 256, 768}, {1024, 256, 256}, {1024, 256, 1024}, {1024, 1024, 256}, {1024, 256, 512}};
        Stream.Builder<Arguments> out = Stream.builder();
        for (int[] s : fwd) {
            out.add(Arguments.of("forward", false, false, s[0], s[2], s[1]));
            out.add(Arguments.of("dX", false, true, s[0], s[1], s[2]));
            out.add(Arguments.of("dW", true, false, s[1], s[2], s[0]));
        }
        return out.build();
    }

    @ParameterizedTest(name = "{0} m={3} n={4} k={5}")
    @MethodSource("modelShapes")
    void shouldMatchReferenceAtTheModelShapes(String pass, boolean transA, boolean transB, int m, int n, int k) {
        check(pool2, transA, transB, m, n, k, 1f, pass.equals("dW") ? 1f : 0f, 0, 0, m * 31 + n * 7 + k);
    }

    @Test
    void shouldIgnoreNanInCWhenBetaIsZero() {
        int m = 13;
        int n = 21;
        int k = 300;
        SplittableRandom rnd = new SplittableRandom(7);
        float[] a = random(rnd, m * k);
        float[] b = random(rnd, k * n);
        float[] c = new float[m * n];
        Arrays.fill(c, Float.NaN);
        float[] want = new float[m * n];
        Gemm.reference(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, want, 0, n);
        Gemm.sgemm(pool2, false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n);
        assertClose(want, c, a, b, k, "beta=0 over NaN");
    }

    @Test
    void shouldLeaveCOutsideTheTileUntouched() {
        int m = 7;
        int n = 9;
        int k = 5;
        int ldc = 20;
        SplittableRandom rnd = new SplittableRandom(3);
        float[] a = random(rnd, m * k);
        float[] b = random(rnd, k * n);
        float[] c = new float[3 + m * ldc + 4];
        Arrays.fill(c, 42f);
        Gemm.sgemm(pool2, false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 3, ldc);
        for (int idx = 0; idx < c.length; idx++) {
            int rel = idx - 3;
            boolean inside = rel >= 0 && rel / ldc < m && rel % ldc < n;
            if (!inside) {
                assertEquals(42f, c[idx], "element " + idx + " outside C was written");
            }
        }
    }

    @Test
    void shouldScaleCByBetaWhenKIsZero() {
        float[] c = {1f, 2f, 3f, 4f};
        Gemm.sgemm(pool2, false, false, 2, 2, 0, 1f, new float[0], 0, 1, new float[0], 0, 2, 0.5f, c, 0, 2);
        assertEquals(Arrays.toString(new float[] {0.5f, 1f, 1.5f, 2f}), Arrays.toString(c));
    }

    @Test
    void shouldThrowWhenAnOperandDoesNotFitItsArray() {
        float[] a = new float[10];
        float[] b = new float[16];
        float[] c = new float[16];
        assertThrows(ArrayIndexOutOfBoundsException.class,
                () -> Gemm.sgemm(pool2, false, false, 4, 4, 4, 1f, a, 0, 4, b, 0, 4, 0f, c, 0, 4));
    }

    @SuppressWarnings("checkstyle:ParameterNumber")
    private static void check(ParallelFor pool, boolean transA, boolean transB, int m, int n, int k,
                              float alpha, float beta, int off, int pad, int seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int lda = (transA ? m : k) + pad;
        int ldb = (transB ? k : n) + pad;
        int ldc = n + pad;
        float[] a = random(rnd, off + (transA ? k : m) * lda);
        float[] b = random(rnd, off + (transB ? n : k) * ldb);
        float[] c0 = random(rnd, off + m * ldc);
        float[] want = c0.clone();
        float[] got = c0.clone();
        Gemm.reference(transA, transB, m, n, k, alpha, a, off, lda, b, off, ldb, beta, want, off, ldc);
        Gemm.sgemm(pool, transA, transB, m, n, k, alpha, a, off, lda, b, off, ldb, beta, got, off, ldc);
        assertClose(want, got, a, b, k, "m=" + m + " n=" + n + " k=" + k + " transA=" + transA
                + " transB=" + transB + " alpha=" + alpha + " beta=" + beta + " off=" + off + " pad=" + pad
                + " threads=" + pool.threads());
    }

    /**
     * Inputs are in [-1, 1), so each product is at most 1 in magnitude and the difference between
     * two summation orders grows like sqrt(k) float epsilons of the running sum.
     */
    private static void assertClose(float[] want, float[] got, float[] a, float[] b, int k, String what) {
        double tol = 1e-5 * (1 + Math.sqrt(k));
        for (int i = 0; i < want.length; i++) {
            double scale = Math.max(1.0, Math.abs(want[i]));
            if (!(Math.abs(want[i] - got[i]) <= tol * scale) && !(Float.isNaN(want[i]) && Float.isNaN(got[i]))) {
                fail(what + ": element " + i + " want " + want[i] + " got " + got[i] + " (tol " + tol * scale + ")");
            }
        }
    }

    private static float[] random(SplittableRandom rnd, int size) {
        float[] x = new float[size];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return x;
    }
}
