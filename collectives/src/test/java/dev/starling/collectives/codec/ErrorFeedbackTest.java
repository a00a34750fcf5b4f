package dev.starling.collectives.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class ErrorFeedbackTest {

    /** Sum of what was sent over many rounds tracks the sum of the true updates: the drift is the residual. */
    private static double drift(final UpdateCodec codec, final boolean feedback) {
        int n = 2048;
        int rounds = 50;
        double[] trueSum = new double[n];
        double[] sentSum = new double[n];
        ErrorFeedback ef = new ErrorFeedback(n);
        for (int r = 0; r < rounds; r++) {
            // A consistent direction plus noise, like successive pseudo-gradients.
            float[] delta = CodecRoundTripTest.gaussian(n, 1000 + r, 0.01);
            for (int i = 0; i < n; i++) {
                delta[i] += 0.01f * (float) Math.sin(i * 0.01);
            }
            MemorySegment chunk = feedback
                ? ef.encode(codec, ChunkKind.CONTRIBUTION, 1, r, 0, delta, 0, n)
                : UpdateChunks.encode(codec, ChunkKind.CONTRIBUTION, 1, r, 0, 0, delta, 0, n);
            float[] sent = UpdateChunks.decode(chunk, n);
            for (int i = 0; i < n; i++) {
                trueSum[i] += delta[i];
                sentSum[i] += sent[i];
            }
        }
        double err = 0;
        double norm = 0;
        for (int i = 0; i < n; i++) {
            err += (trueSum[i] - sentSum[i]) * (trueSum[i] - sentSum[i]);
            norm += trueSum[i] * trueSum[i];
        }
        return Math.sqrt(err / norm);
    }

    @Test
    void shouldCarryWhatTopKDropsIntoLaterRounds() {
        double with = drift(new TopKCodec(0.05), true);
        double without = drift(new TopKCodec(0.05), false);
        System.out.printf("top-k 5%% cumulative drift over 50 rounds: with EF %.4f, without %.4f%n", with, without);
        assertTrue(without > 0.5, "without feedback top-k loses most of the signal: " + without);
        assertTrue(with < without / 3, "with " + with + " without " + without);
    }

    @Test
    void shouldShrinkInt4DriftWithFeedback() {
        double with = drift(BlockQuantCodec.int4(64), true);
        double without = drift(BlockQuantCodec.int4(64), false);
        System.out.printf("int4 cumulative drift over 50 rounds: with EF %.4f, without %.4f%n", with, without);
        assertTrue(with < without / 3, "with " + with + " without " + without);
    }

    @Test
    void shouldKeepResidualEqualToCompensatedMinusSent() {
        float[] delta = CodecRoundTripTest.gaussian(300, 5, 1.0);
        ErrorFeedback ef = new ErrorFeedback(300);
        MemorySegment chunk = ef.encode(BlockQuantCodec.int8(32), ChunkKind.CONTRIBUTION, 0, 0, 0, delta, 100, 100);
        float[] sent = UpdateChunks.decode(chunk, 300);
        for (int i = 0; i < 100; i++) {
            assertEquals(delta[100 + i] - sent[i], ef.residualAt(100 + i), 0f);
        }
        assertEquals(0f, ef.residualAt(0));
        assertEquals(0f, ef.residualAt(250));
    }
}
