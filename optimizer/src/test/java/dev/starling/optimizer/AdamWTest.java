package dev.starling.optimizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.starling.tensor.FlatBuffer;
import dev.starling.tensor.FlatLayout;
import dev.starling.tensor.TensorView;
import dev.starling.tensor.cpu.ParallelFor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AdamWTest {
    private static FlatLayout layout() {
        FlatLayout.Builder b = FlatLayout.builder();
        b.add("w", 30, 33);
        b.add("bias", 33);
        b.add("gain", 7);
        b.add("big", 20_000);
        return b.build();
    }

    private static void check(boolean decayAll) {
        AdamWConfig config = new AdamWConfig(0.9f, 0.99f, 1e-8f, 0.1f, decayAll);
        FlatLayout layout = layout();
        SplittableRandom r = new SplittableRandom(1);
        try (FlatBuffer p = new FlatBuffer(layout); FlatBuffer g = new FlatBuffer(layout);
             ParallelFor pool = new ParallelFor(2); AdamW adamw = new AdamW(config, p)) {
            for (int i = 0; i < layout.size(); i++) {
                p.data()[i] = (float) r.nextGaussian();
            }
            float[] refP = p.data().clone();
            float[] refM = new float[layout.size()];
            float[] refV = new float[layout.size()];
            for (int t = 1; t <= 3; t++) {
                for (int i = 0; i < layout.size(); i++) {
                    g.data()[i] = (float) r.nextGaussian();
                }
                adamw.step(pool, p, g, 1e-2f);
                for (TensorView v : layout.views()) {
                    AdamW.updateReference(config, refP, g.data(), refM, refV, v.offset(), v.offset() + v.size(),
                            1e-2f, config.decays(v.rank()), t);
                }
            }
            for (int i = 0; i < layout.size(); i++) {
                assertEquals(refP[i], p.data()[i], 1e-6, "param " + i);
                assertEquals(refM[i], adamw.firstMoment().data()[i], 1e-6);
                assertEquals(refV[i], adamw.secondMoment().data()[i], 1e-6);
            }
        }
    }

    @Test
    void fastUpdateShouldMatchScalarReference() {
        check(false);
        check(true);
    }

    @Test
    void shouldDecayOnlyMatricesByDefaultAndEverythingWithDecayAll() {
        AdamWConfig nano = new AdamWConfig(0.9f, 0.95f, 1e-8f, 0.1f, false);
        assertEquals(true, nano.decays(2));
        assertEquals(false, nano.decays(1));
        AdamWConfig llmc = new AdamWConfig(0.9f, 0.95f, 1e-8f, 0.1f, true);
        assertEquals(true, llmc.decays(1));
        FlatLayout layout = layout();
        try (FlatBuffer p = new FlatBuffer(layout); FlatBuffer g = new FlatBuffer(layout);
             ParallelFor pool = new ParallelFor(1); AdamW adamw = new AdamW(nano, p)) {
            java.util.Arrays.fill(p.data(), 1f);
            adamw.step(pool, p, g, 0.5f);
            assertEquals(0.95f, p.data()[layout.view("w").offset()], 1e-6);
            assertEquals(1f, p.data()[layout.view("bias").offset()], 0f);
        }
    }

    @Test
    void shouldRejectBadHyperparameters() {
        assertThrows(IllegalArgumentException.class, () -> new AdamWConfig(1f, 0.9f, 1e-8f, 0f, false));
        assertThrows(IllegalArgumentException.class, () -> new AdamWConfig(0.9f, 0.9f, 0f, 0f, false));
    }
}
