package dev.starling.collectives.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.starling.collectives.CollectivesException;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ChunkValidationTest {
    private static final float[] X = CodecRoundTripTest.gaussian(1000, 1, 1.0);

    private static MemorySegment chunk(final UpdateCodec codec) {
        return UpdateChunks.encode(codec, ChunkKind.CONTRIBUTION, 77L, 4L, 3, 3000L, X, 0, X.length);
    }

    private static MemorySegment copy(final MemorySegment s, final long newLength) {
        byte[] bytes = Arrays.copyOf(s.toArray(WireLayouts.BYTE), (int) newLength);
        return MemorySegment.ofArray(bytes);
    }

    private static void reseal(final MemorySegment s) {
        ChunkDescriptor d = new ChunkDescriptor().wrap(s, 0);
        s.set(WireLayouts.INT, ChunkDescriptor.CHECKSUM_OFFSET, d.computeChecksum(
            (int) (s.byteSize() - ChunkDescriptor.HEADER_LENGTH)));
    }

    private static CollectivesException rejected(final MemorySegment s) {
        CollectivesException e = assertThrows(CollectivesException.class, () -> UpdateChunks.decode(s, 1 << 20));
        assertEquals(CollectivesException.Category.BAD_PEER, e.category(), e.getMessage());
        return e;
    }

    @Test
    void shouldReadBackEveryHeaderField() {
        MemorySegment s = chunk(BlockQuantCodec.int8(128));
        ChunkDescriptor d = new ChunkDescriptor();
        assertEquals(CodecId.INT8_BLOCK, UpdateChunks.verify(d, s, 1 << 20));
        assertEquals(77L, d.runIdHash());
        assertEquals(4L, d.round());
        assertEquals(3, d.partIndex());
        assertEquals(3000L, d.elementOffset());
        assertEquals(1000, d.elementCount());
        assertEquals(128, d.codecParameter());
        assertEquals(ChunkKind.CONTRIBUTION.wireId(), d.kindWireId());
        assertEquals(s.byteSize() - ChunkDescriptor.HEADER_LENGTH, d.payloadLength());
    }

    @Test
    void shouldRejectTruncatedAndOversizedChunks() {
        MemorySegment s = chunk(HalfFloatCodec.FP16);
        rejected(copy(s, s.byteSize() - 1));
        rejected(copy(s, s.byteSize() + 1));
        rejected(copy(s, 10));
        rejected(MemorySegment.ofArray(new byte[0]));
    }

    @Test
    void shouldRejectPayloadLengthThatDisagreesWithCountEvenWhenChecksumIsValid() {
        MemorySegment s = chunk(HalfFloatCodec.BF16);
        s.set(WireLayouts.INT, ChunkDescriptor.ELEMENT_COUNT_OFFSET, 999);
        reseal(s);
        rejected(s);
    }

    @Test
    void shouldRejectAHugeCountBeforeAllocating() {
        MemorySegment s = chunk(new TopKCodec(0.01));
        s.set(WireLayouts.INT, ChunkDescriptor.ELEMENT_COUNT_OFFSET, Integer.MAX_VALUE);
        reseal(s);
        // The cap check fires before decode() could allocate 8 GiB.
        rejected(s);
    }

    @Test
    void shouldRejectACodecSwapWithConsistentLengths() {
        // An int8 payload relabelled as fp32 has the wrong length for fp32.
        MemorySegment s = chunk(BlockQuantCodec.int8(64));
        s.set(WireLayouts.BYTE, ChunkDescriptor.CODEC_OFFSET, (byte) CodecId.FP32.wireId());
        reseal(s);
        rejected(s);
    }

    @Test
    void shouldRejectNanAndInfinityInAValidlySizedChunk() {
        MemorySegment s = chunk(Fp32Codec.INSTANCE);
        s.set(WireLayouts.FLOAT, ChunkDescriptor.HEADER_LENGTH + 40, Float.NaN);
        reseal(s);
        rejected(s);
        MemorySegment h = chunk(HalfFloatCodec.FP16);
        h.set(WireLayouts.SHORT, ChunkDescriptor.HEADER_LENGTH + 2, (short) 0x7C00);
        reseal(h);
        rejected(h);
        MemorySegment q = chunk(BlockQuantCodec.int8(64));
        q.set(WireLayouts.FLOAT, ChunkDescriptor.HEADER_LENGTH, Float.POSITIVE_INFINITY);
        reseal(q);
        rejected(q);
    }

    @Test
    void shouldRejectBadChecksumMagicAndBlockSize() {
        MemorySegment s = chunk(BlockQuantCodec.int4(64));
        s.set(WireLayouts.BYTE, s.byteSize() - 1, (byte) (s.get(WireLayouts.BYTE, s.byteSize() - 1) ^ 1));
        rejected(s);
        MemorySegment m = chunk(BlockQuantCodec.int4(64));
        m.set(WireLayouts.SHORT, 0, (short) 0x1234);
        reseal(m);
        rejected(m);
        MemorySegment b = chunk(BlockQuantCodec.int4(64));
        b.set(WireLayouts.INT, ChunkDescriptor.CODEC_PARAMETER_OFFSET, 0);
        reseal(b);
        rejected(b);
    }

    @Test
    void shouldRejectTopKIndicesOutOfRangeOrWithWrongK() {
        MemorySegment s = chunk(new TopKCodec(0.01));
        s.set(WireLayouts.INT, ChunkDescriptor.CODEC_PARAMETER_OFFSET, 11);
        reseal(s);
        rejected(s);
        MemorySegment t = chunk(new TopKCodec(0.01));
        t.set(WireLayouts.INT, ChunkDescriptor.CODEC_PARAMETER_OFFSET, -1);
        reseal(t);
        rejected(t);
    }

    @Test
    void shouldRejectNonFiniteLocalInputAsInternal() {
        float[] bad = {1f, Float.NaN};
        CollectivesException e = assertThrows(CollectivesException.class,
            () -> UpdateChunks.encode(HalfFloatCodec.FP16, ChunkKind.CONTRIBUTION, 0, 0, 0, 0, bad, 0, 2));
        assertEquals(CollectivesException.Category.INTERNAL, e.category());
    }
}
