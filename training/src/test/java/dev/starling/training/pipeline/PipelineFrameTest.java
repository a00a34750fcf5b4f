package dev.starling.training.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class PipelineFrameTest {
    private static PipelineFrame sample() {
        float[] x = new float[2 * 3 * 4];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i - 10) * 0.25f;
        }
        return new PipelineFrame(PipelineFrame.Kind.FORWARD, HopPlan.BLOCKS, 77, 1, 2, 2, 3, 4, Float.NaN, x, new int[] {5, 6, 7, 8,
            9, 10});
    }

    @Test
    void shouldRoundTripThroughBf16() {
        PipelineFrame f = sample();
        PipelineFrame back = PipelineFrame.decode(f.encode());
        assertEquals(f.kind(), back.kind());
        assertEquals(77, back.microBatch());
        assertEquals(1, back.fromStage());
        assertEquals(2, back.toStage());
        assertEquals(HopPlan.BLOCKS, back.parts());
        assertArrayEquals(f.tensor(), back.tensor(), 0f, "quarter steps are exact in bf16");
        assertArrayEquals(f.ids(), back.ids());
    }

    @Test
    void shouldRejectTruncatedOversizedAndNonFiniteFrames() {
        byte[] ok = sample().encode();
        assertThrows(PipelineException.class, () -> PipelineFrame.decode(Arrays.copyOf(ok, ok.length - 1)));
        assertThrows(PipelineException.class, () -> PipelineFrame.decode(Arrays.copyOf(ok, 10)));
        byte[] magic = ok.clone();
        magic[0] = 0;
        assertThrows(PipelineException.class, () -> PipelineFrame.decode(magic));
        byte[] huge = ok.clone();
        ByteBuffer.wrap(huge).putInt(20, 1 << 20).putInt(24, 1 << 20);
        PipelineException e = assertThrows(PipelineException.class, () -> PipelineFrame.decode(huge));
        assertEquals(PipelineException.Category.BAD_INPUT, e.category());
        byte[] nan = ok.clone();
        nan[PipelineFrame.HEADER_BYTES + 2] = (byte) 0xC0;
        nan[PipelineFrame.HEADER_BYTES + 3] = (byte) 0x7F;
        assertThrows(PipelineException.class, () -> PipelineFrame.decode(nan));
        assertThrows(RuntimeException.class, () -> new PipelineFrame(PipelineFrame.Kind.FORWARD, 2, 1, 0, 1, 1, 1, 1,
                Float.NaN, new float[] {Float.POSITIVE_INFINITY}, new int[0]).encode(), "never sends Inf");
    }
}
