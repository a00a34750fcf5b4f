package dev.starling.tensor.ops;

import static dev.starling.tensor.ops.Numerics.assertClose;
import static dev.starling.tensor.ops.Numerics.assertGradient;
import static dev.starling.tensor.ops.Numerics.random;

import dev.starling.tensor.cpu.ParallelFor;
import org.junit.jupiter.api.Test;

class CrossEntropyTest {
    @Test
    void inPlaceKernelShouldMatchReference() {
        int n = 6;
        int v = 67;
        float[] logits = random(1, n * v, 3.0);
        int[] targets = {0, 66, 5, 5, 12, 40};
        float[] probsRef = new float[n * v];
        float[] lossRef = new float[n];
        CrossEntropy.forwardReference(probsRef, lossRef, logits, targets, n, v);
        float[] dRef = new float[n * v];
        CrossEntropy.backwardReference(dRef, probsRef, targets, 1f / n, n, v);
        float[] buf = logits.clone();
        float[] losses = new float[n];
        try (ParallelFor pool = new ParallelFor(2)) {
            CrossEntropy.forward(pool, buf, 0, losses, 0, targets, 0, n, v);
            assertClose("probs", probsRef, buf, 1e-7, 1e-5);
            assertClose("loss", lossRef, losses, 1e-6, 1e-5);
            CrossEntropy.backward(pool, buf, 0, targets, 0, 1f / n, n, v);
        }
        assertClose("dlogits", dRef, buf, 1e-7, 1e-5);
    }

    @Test
    void gradientShouldMatchFiniteDifferencesOfMeanLoss() {
        int n = 3;
        int v = 9;
        float[] logits = random(2, n * v, 1.0);
        int[] targets = {1, 8, 4};
        float[] probs = new float[n * v];
        float[] losses = new float[n];
        CrossEntropy.forwardReference(probs, losses, logits, targets, n, v);
        float[] grad = new float[n * v];
        CrossEntropy.backwardReference(grad, probs, targets, 1f / n, n, v);
        assertGradient("dlogits", logits, grad, () -> {
            CrossEntropy.forwardReference(probs, losses, logits, targets, n, v);
            double s = 0;
            for (float l : losses) {
                s += l;
            }
            return s / n;
        }, 1e-2f, 1e-3, 2e-2);
    }
}
