package dev.starling.collectives.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Per-element error bounds each codec promises, over random sizes, scales and block sizes (fixed seed). */
class CodecPropertyTest {

    private static float[] randomVector(final Random r) {
        int n = r.nextInt(700);
        double scale = Math.pow(10, -6 + r.nextInt(9));
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (scale * (r.nextBoolean() ? r.nextGaussian() : r.nextDouble() - 0.5));
        }
        if (n > 0 && r.nextInt(4) == 0) {
            x[r.nextInt(n)] = 0f;
        }
        return x;
    }

    private static float[] roundTrip(final UpdateCodec codec, final float[] x) {
        return UpdateChunks.decode(UpdateChunks.encode(codec, ChunkKind.CONTRIBUTION, 1, 2, 0, 0, x, 0, x.length),
            Math.max(1, x.length));
    }

    @Test
    void shouldKeepBlockQuantizationWithinHalfAStepOfItsBlockScale() {
        Random r = new Random(100);
        for (int trial = 0; trial < 300; trial++) {
            float[] x = randomVector(r);
            int block = 8 + r.nextInt(200);
            int bits = r.nextBoolean() ? 8 : 4;
            float[] y = roundTrip(new BlockQuantCodec(bits, block), x);
            int qmax = bits == 8 ? 127 : 7;
            for (int b = 0; b < x.length; b += block) {
                float absmax = 0;
                for (int i = b; i < Math.min(x.length, b + block); i++) {
                    absmax = Math.max(absmax, Math.abs(x[i]));
                }
                float halfStep = absmax / qmax / 2f;
                for (int i = b; i < Math.min(x.length, b + block); i++) {
                    assertTrue(Math.abs(x[i] - y[i]) <= halfStep * 1.001f + Float.MIN_NORMAL,
                        "bits " + bits + " block " + block + " element " + i + ": " + x[i] + " -> " + y[i]);
                }
            }
        }
    }

    @Test
    void shouldRoundHalfFloatsWithinTheirRelativePrecision() {
        Random r = new Random(101);
        for (int trial = 0; trial < 300; trial++) {
            float[] x = randomVector(r);
            float[] h = roundTrip(HalfFloatCodec.FP16, x);
            float[] b = roundTrip(HalfFloatCodec.BF16, x);
            for (int i = 0; i < x.length; i++) {
                float a = Math.abs(x[i]);
                // fp16: 11-bit significand above its normal range, absolute 2^-25 in the subnormal range.
                assertTrue(Math.abs(x[i] - h[i]) <= Math.max(a * 0x1p-11f, 0x1p-25f), x[i] + " fp16 " + h[i]);
                // bf16: 8-bit significand.
                assertTrue(Math.abs(x[i] - b[i]) <= a * 0x1p-8f, x[i] + " bf16 " + b[i]);
            }
        }
    }

    @Test
    void shouldKeepTopKValuesExactAndDropOnlySmallerMagnitudes() {
        Random r = new Random(102);
        for (int trial = 0; trial < 300; trial++) {
            float[] x = randomVector(r);
            TopKCodec codec = new TopKCodec(0.001 + r.nextDouble());
            float[] y = roundTrip(codec, x);
            int kept = 0;
            float smallestKept = Float.POSITIVE_INFINITY;
            float largestDropped = 0;
            for (int i = 0; i < x.length; i++) {
                if (y[i] != 0f) {
                    assertEquals(x[i], y[i]);
                    kept++;
                    smallestKept = Math.min(smallestKept, Math.abs(x[i]));
                } else {
                    largestDropped = Math.max(largestDropped, Math.abs(x[i]));
                }
            }
            assertTrue(kept <= codec.headerParameter(x.length));
            assertTrue(kept == 0 || largestDropped <= smallestKept, largestDropped + " > " + smallestKept);
        }
    }

    @Test
    void shouldSelectTheSameOrderStatisticAsSorting() {
        Random r = new Random(103);
        for (int trial = 0; trial < 500; trial++) {
            int n = 1 + r.nextInt(300);
            float[] a = new float[n];
            for (int i = 0; i < n; i++) {
                // Few distinct values half the time, to exercise ties.
                a[i] = r.nextBoolean() ? r.nextInt(4) : (float) Math.abs(r.nextGaussian());
            }
            float[] sorted = a.clone();
            java.util.Arrays.sort(sorted);
            int k = r.nextInt(n);
            assertEquals(sorted[k], TopKCodec.kthSmallest(a.clone(), k), "n=" + n + " k=" + k);
        }
    }
}
