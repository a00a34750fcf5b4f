package dev.starling.tensor.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.starling.tensor.cpu.ParallelFor;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class DropoutTest {
    @Test
    void shouldDropAboutPAndScaleTheRestTheSameWayForAnyThreadCount() {
        int n = 100_000;
        float[] one = new float[n];
        float[] two = new float[n];
        Arrays.fill(one, 1f);
        Arrays.fill(two, 1f);
        try (ParallelFor p1 = new ParallelFor(1); ParallelFor p2 = new ParallelFor(2)) {
            Dropout.apply(p1, one, 0, n, 0.25f, 42);
            Dropout.apply(p2, two, 0, n, 0.25f, 42);
        }
        assertArrayEquals(one, two);
        int zeros = 0;
        for (float f : one) {
            if (f == 0f) {
                zeros++;
            } else {
                assertEquals(1f / 0.75f, f, 1e-6);
            }
        }
        assertEquals(0.25, zeros / (double) n, 0.01);
    }

    @Test
    void backwardIsTheSameMaskAndZeroProbabilityIsIdentity() {
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8};
        float[] g = x.clone();
        try (ParallelFor pool = new ParallelFor(1)) {
            Dropout.apply(pool, x, 0, 8, 0.5f, 7);
            Dropout.apply(pool, g, 0, 8, 0.5f, 7);
            assertArrayEquals(x, g);
            float[] same = {1, 2, 3};
            Dropout.apply(pool, same, 0, 3, 0f, 7);
            assertArrayEquals(new float[] {1, 2, 3}, same);
        }
    }
}
