package dev.starling.collectives.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CodecRoundTripTest {

    static float[] gaussian(final int n, final long seed, final double scale) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextGaussian() * scale);
        }
        return x;
    }

    static List<UpdateCodec> allCodecs() {
        return List.of(Fp32Codec.INSTANCE, HalfFloatCodec.FP16, HalfFloatCodec.BF16, BlockQuantCodec.int8(64),
            BlockQuantCodec.int4(64), new TopKCodec(0.01), new TopKCodec(0.3));
    }

    @Test
    void shouldReportCompressionRatioAndErrorForEveryCodec() {
        float[] x = gaussian(1 << 18, 42, 1e-3);
        System.out.println("codec quality on 262144 N(0, 1e-3^2) floats (CodecRoundTripTest):");
        for (UpdateCodec codec : allCodecs()) {
            CodecQuality q = CodecQuality.measure(codec, x);
            System.out.println("  " + q);
            switch (codec.id()) {
                case FP32 -> assertEquals(0.0, q.relativeL2Error());
                case FP16, BF16 -> {
                    assertEquals(2.0, q.compressionRatio(), 0.01);
                    assertTrue(q.relativeL2Error() < (codec.id() == CodecId.FP16 ? 1e-3 : 5e-3), q.toString());
                }
                case INT8_BLOCK -> {
                    assertTrue(q.compressionRatio() > 3.7, q.toString());
                    assertTrue(q.relativeL2Error() < 0.02, q.toString());
                }
                case INT4_BLOCK -> {
                    assertTrue(q.compressionRatio() > 7.0, q.toString());
                    assertTrue(q.relativeL2Error() < 0.25, q.toString());
                }
                case TOP_K -> assertTrue(q.compressionRatio() > 2.0, q.toString());
            }
        }
    }

    @Test
    void shouldRoundTripExactlyRepresentableValues() {
        float[] x = {0f, 1f, -2f, 0.5f, 1024f, -0.25f, 3f, 7f};
        for (UpdateCodec codec : List.of(Fp32Codec.INSTANCE, HalfFloatCodec.FP16, HalfFloatCodec.BF16,
            new TopKCodec(1.0))) {
            MemorySegment chunk = UpdateChunks.encode(codec, ChunkKind.CONTRIBUTION, 9L, 3L, 1, 100L, x, 0, x.length);
            assertArrayEquals(x, UpdateChunks.decode(chunk, 64), codec.id().toString());
        }
    }

    @Test
    void shouldKeepTheLargestMagnitudesInTopKWithTiesToTheLowerIndex() {
        float[] x = {1f, -5f, 2f, 5f, 0f, -3f, 5f, 0.5f};
        MemorySegment chunk = UpdateChunks.encode(new TopKCodec(0.375), ChunkKind.CONTRIBUTION, 1, 1, 0, 0, x, 0, 8);
        assertArrayEquals(new float[] {0f, -5f, 0f, 5f, 0f, 0f, 5f, 0f}, UpdateChunks.decode(chunk, 8));
        float[] ties = {1f, 1f, 1f, 1f};
        chunk = UpdateChunks.encode(new TopKCodec(0.5), ChunkKind.CONTRIBUTION, 1, 1, 0, 0, ties, 0, 4);
        assertArrayEquals(new float[] {1f, 1f, 0f, 0f}, UpdateChunks.decode(chunk, 4));
    }

    @Test
    void shouldPickTheSmallerIndexEncodingForTopK() {
        float[] x = gaussian(4096, 7, 1.0);
        long sparse = UpdateChunks.encode(new TopKCodec(0.01), ChunkKind.CONTRIBUTION, 0, 0, 0, 0, x, 0, 4096)
            .byteSize();
        long dense = UpdateChunks.encode(new TopKCodec(0.5), ChunkKind.CONTRIBUTION, 0, 0, 0, 0, x, 0, 4096)
            .byteSize();
        int k1 = 41;
        // Sparse: varint gaps (about 100 apart: one or two bytes each) beat a 512-byte bitmap.
        assertTrue(sparse < ChunkDescriptor.HEADER_LENGTH + 1 + 2 * k1 + 4 * k1, "sparse " + sparse);
        // Dense: the bitmap (512 bytes) beats one varint byte per index (2048 bytes).
        assertEquals(ChunkDescriptor.HEADER_LENGTH + 1 + 512 + 4 * 2048, dense);
    }

    @Test
    void shouldClampOutOfRangeValuesInsteadOfEncodingInfinity() {
        float[] x = {1e6f, -1e6f, Float.MAX_VALUE, -Float.MAX_VALUE};
        float[] fp16 = UpdateChunks.decode(UpdateChunks.encode(HalfFloatCodec.FP16, ChunkKind.CONTRIBUTION, 0, 0, 0,
            0, x, 0, 4), 4);
        assertArrayEquals(new float[] {65504f, -65504f, 65504f, -65504f}, fp16);
        float[] bf16 = UpdateChunks.decode(UpdateChunks.encode(HalfFloatCodec.BF16, ChunkKind.CONTRIBUTION, 0, 0, 0,
            0, x, 0, 4), 4);
        for (float v : bf16) {
            assertTrue(Float.isFinite(v));
        }
    }

    @Test
    void shouldQuantizeOddCountsAndPartialBlocksWithin4BitStep() {
        float[] x = gaussian(101, 3, 1.0);
        float[] y = UpdateChunks.decode(UpdateChunks.encode(BlockQuantCodec.int4(16), ChunkKind.CONTRIBUTION, 0, 0,
            0, 0, x, 0, 101), 101);
        for (int b = 0; b < 101; b += 16) {
            float absmax = 0;
            for (int i = b; i < Math.min(101, b + 16); i++) {
                absmax = Math.max(absmax, Math.abs(x[i]));
            }
            for (int i = b; i < Math.min(101, b + 16); i++) {
                assertEquals(x[i], y[i], absmax / 7f / 2f * 1.0001f, "element " + i);
            }
        }
    }

    @Test
    void shouldBeDeterministicByteForByte() {
        float[] x = gaussian(5000, 11, 0.1);
        for (UpdateCodec codec : allCodecs()) {
            MemorySegment a = UpdateChunks.encode(codec, ChunkKind.AGGREGATE, 5, 6, 2, 7, x, 0, x.length);
            MemorySegment b = UpdateChunks.encode(codec, ChunkKind.AGGREGATE, 5, 6, 2, 7, x, 0, x.length);
            assertEquals(-1L, a.mismatch(b), codec.id().toString());
        }
    }
}
