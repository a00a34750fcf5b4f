package dev.starling.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.tensor.cpu.ParallelFor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GptGradientTest {
    private static final int B = 2;
    private static final int T = 5;

    private static void randomize(Gpt gpt, long seed, double std) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] p = gpt.parameters().data();
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) (r.nextGaussian() * std);
        }
        for (var v : gpt.parameters().layout().views()) {
            if (v.name().contains("ln_") && v.name().endsWith("weight")) {
                for (int i = v.offset(); i < v.offset() + v.size(); i++) {
                    p[i] += 1f;
                }
            }
        }
    }

    private static void check(GptConfig config, int threads, float dropout) {
        try (ParallelFor pool = new ParallelFor(threads); Gpt gpt = new Gpt(config)) {
            randomize(gpt, 7, 0.3);
            Activations a = new Activations(config, B, T);
            SplittableRandom r = new SplittableRandom(3);
            int[] tokens = new int[B * T];
            int[] targets = new int[B * T];
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] = r.nextInt(config.vocabSize());
                targets[i] = r.nextInt(config.vocabSize());
            }
            boolean training = dropout > 0f;
            gpt.zeroGrad();
            gpt.forward(pool, a, tokens, targets, T, training, 11);
            gpt.backward(pool, a, T);
            float[] p = gpt.parameters().data();
            float[] g = gpt.gradients().data().clone();
            float eps = 1e-2f;
            int checked = 0;
            double worst = 0;
            for (int i = 0; i < p.length; i++) {
                float old = p[i];
                p[i] = old + eps;
                double up = gpt.forward(pool, a, tokens, targets, T, training, 11);
                p[i] = old - eps;
                double down = gpt.forward(pool, a, tokens, targets, T, training, 11);
                p[i] = old;
                double numeric = (up - down) / (2 * eps);
                double err = Math.abs(numeric - g[i]) / (2e-3 + 5e-2 * Math.abs(g[i]));
                worst = Math.max(worst, err);
                assertTrue(err <= 1.0, "param " + i + " numeric " + numeric + " analytic " + g[i]);
                checked++;
            }
            assertEquals(p.length, checked);
        }
    }

    @Test
    void shouldMatchFiniteDifferencesForEveryParameterWithBias() {
        check(new GptConfig(11, 8, 2, 2, 8, 0f, true), 1, 0f);
    }

    @Test
    void shouldMatchFiniteDifferencesWithoutBiasOnTwoThreads() {
        check(new GptConfig(11, 8, 2, 2, 8, 0f, false), 2, 0f);
    }

    @Test
    void shouldMatchFiniteDifferencesWithDropout() {
        check(new GptConfig(11, 8, 1, 2, 8, 0.2f, true), 2, 0.2f);
    }
}
