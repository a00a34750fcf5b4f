package dev.starling.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.tensor.cpu.ParallelFor;
import org.junit.jupiter.api.Test;

class SamplerTest {
    @Test
    void shouldExtendThePromptDeterministicallyBeyondTheBlockSize() {
        GptConfig config = new GptConfig(10, 4, 1, 2, 8, 0f, true);
        try (Gpt gpt = new Gpt(config); ParallelFor pool = new ParallelFor(1)) {
            gpt.initGpt2(1);
            int[] prompt = {1, 2, 3};
            int[] a = new Sampler(gpt, 5).generate(pool, prompt, 9, 1f, 0);
            int[] b = new Sampler(gpt, 5).generate(pool, prompt, 9, 1f, 0);
            assertArrayEquals(a, b);
            assertEquals(12, a.length);
            assertArrayEquals(prompt, java.util.Arrays.copyOf(a, 3));
            for (int id : a) {
                assertTrue(id >= 0 && id < 10);
            }
            int[] greedy = new Sampler(gpt, 9).generate(pool, prompt, 3, 1f, 1);
            int[] greedy2 = new Sampler(gpt, 10).generate(pool, prompt, 3, 1f, 1);
            assertArrayEquals(greedy, greedy2);
            assertThrows(IllegalArgumentException.class, () -> new Sampler(gpt, 1).generate(pool, new int[0], 1, 1f,
                    0));
        }
    }

    @Test
    void forwardShouldRejectTokenIdsOutsideTheVocabulary() {
        GptConfig config = new GptConfig(10, 4, 1, 2, 8, 0f, true);
        try (Gpt gpt = new Gpt(config); ParallelFor pool = new ParallelFor(1)) {
            Activations a = new Activations(config, 1, 4);
            assertThrows(IllegalArgumentException.class, () -> gpt.forward(pool, a, new int[] {1, 2, 10, 3}, null, 4,
                    false, 0));
        }
    }
}
