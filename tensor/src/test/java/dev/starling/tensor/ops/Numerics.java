package dev.starling.tensor.ops;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

/** Test helpers: seeded random arrays, tolerance checks and central finite differences. */
final class Numerics {
    private Numerics() {
    }

    static float[] random(long seed, int n, double scale) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextGaussian() * scale);
        }
        return a;
    }

    static void assertClose(String what, float[] expected, float[] actual, double atol, double rtol) {
        for (int i = 0; i < expected.length; i++) {
            double tol = atol + rtol * Math.abs(expected[i]);
            if (!(Math.abs(expected[i] - actual[i]) <= tol)) {
                fail(what + "[" + i + "]: expected " + expected[i] + " got " + actual[i] + " (tol " + tol + ")");
            }
        }
    }

    /** Checks analytic gradient {@code grad} of {@code loss} with respect to {@code x} element by element. */
    static void assertGradient(String what, float[] x, float[] grad, DoubleSupplier loss, float eps,
                               double atol, double rtol) {
        for (int i = 0; i < x.length; i++) {
            float old = x[i];
            x[i] = old + eps;
            double up = loss.getAsDouble();
            x[i] = old - eps;
            double down = loss.getAsDouble();
            x[i] = old;
            double numeric = (up - down) / (2.0 * eps);
            if (!(Math.abs(numeric - grad[i]) <= atol + rtol * Math.abs(numeric))) {
                fail(what + "[" + i + "]: finite difference " + numeric + " vs analytic " + grad[i]);
            }
        }
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }
}
