package dev.starling.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.tensor.FlatBuffer;
import dev.starling.tensor.TensorView;
import dev.starling.tensor.cpu.ParallelFor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GptStageTest {
    private static final int B = 2;
    private static final int T = 6;
    private static final GptConfig CONFIG = new GptConfig(23, 8, 4, 2, 16, 0.1f, true);

    @Test
    void shouldMatchWholeModelLossAndGradientsWithTwoAndFourStages() {
        for (int stages : new int[] {1, 2, 4}) {
            compare(stages);
        }
    }

    @Test
    void shouldRefuseStageCountThatDoesNotDivideTheBlocks() {
        assertThrows(IllegalArgumentException.class, () -> new GptStage(CONFIG, 0, 3));
        assertThrows(IllegalArgumentException.class, () -> new GptStage(CONFIG, 4, 4));
    }

    @Test
    void shouldDescribeAStagesLayoutWithoutAllocatingIt() {
        for (int k = 0; k < 4; k++) {
            try (GptStage stage = new GptStage(CONFIG, k, 4)) {
                var layout = GptStage.layout(CONFIG, k, 4);
                assertEquals(stage.parameters().layout().size(), layout.size());
                assertEquals(stage.parameters().layout().views().size(), layout.views().size());
                for (TensorView v : layout.views()) {
                    assertEquals(stage.parameters().layout().view(v.name()).offset(), v.offset(), v.name());
                }
                assertEquals(java.util.List.of(stage.blockRange()[0], stage.blockRange()[1]),
                        java.util.List.of(GptStage.blockRange(layout)[0], GptStage.blockRange(layout)[1]));
            }
        }
        assertThrows(IllegalArgumentException.class, () -> GptStage.layout(CONFIG, 0, 3));
    }

    private static void compare(int count) {
        SplittableRandom r = new SplittableRandom(5);
        int[] tokens = new int[B * T];
        int[] targets = new int[B * T];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = r.nextInt(CONFIG.vocabSize());
            targets[i] = r.nextInt(CONFIG.vocabSize());
        }
        try (ParallelFor pool = new ParallelFor(2); Gpt whole = new Gpt(CONFIG)) {
            whole.initGpt2(42);
            GptStage[] stages = new GptStage[count];
            Activations[] acts = new Activations[count];
            for (int s = 0; s < count; s++) {
                stages[s] = new GptStage(CONFIG, s, count);
                stages[s].loadFrom(whole.parameters());
                stages[s].zeroGrad();
                acts[s] = stages[s].newActivations(B, T);
            }
            Activations wholeActs = new Activations(CONFIG, B, T);
            whole.zeroGrad();
            float wholeLoss = whole.forward(pool, wholeActs, tokens, targets, T, true, 9);
            whole.backward(pool, wholeActs, T);

            float[] x = new float[B * T * CONFIG.nEmbd()];
            stages[0].embedForward(pool, acts[0], tokens, T, true, 9, x);
            for (int s = 0; s < count; s++) {
                stages[s].blocksForward(pool, acts[s], x, T, true, 9, x);
            }
            float loss = stages[count - 1].headForward(pool, acts[count - 1], x, targets, T);
            assertEquals(wholeLoss, loss, 1e-5f * Math.abs(wholeLoss), "loss with " + count + " stages");
            float[] d = new float[x.length];
            stages[count - 1].headBackward(pool, acts[count - 1], T, d);
            for (int s = count - 1; s >= 0; s--) {
                stages[s].blocksBackward(pool, acts[s], d, T, d);
            }
            stages[0].embedBackward(pool, acts[0], d, T);
            GptStage.syncTiedGradients(stages[0], stages[count - 1]);

            FlatBuffer wg = whole.gradients();
            int checked = 0;
            for (GptStage stage : stages) {
                FlatBuffer g = stage.gradients();
                for (TensorView v : g.layout().views()) {
                    TensorView w = wg.layout().view(v.name());
                    for (int i = 0; i < v.size(); i++) {
                        float expected = wg.data()[w.offset() + i];
                        float actual = g.data()[v.offset() + i];
                        assertEquals(expected, actual, 1e-6f + 1e-4f * Math.abs(expected),
                                v.name() + "[" + i + "] with " + count + " stages");
                        checked++;
                    }
                }
                stage.close();
            }
            int tiedCopies = count > 1 ? 1 : 0;
            assertEquals(wg.layout().size() + tiedCopies * CONFIG.vocabSize() * CONFIG.nEmbd(), checked);
            assertTrue(checked > 0);
        }
    }
}
