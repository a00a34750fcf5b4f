package dev.starling.collectives.codec;

import java.lang.foreign.MemorySegment;

/** Lossless float32 little-endian. Stateless singleton; any thread. */
public final class Fp32Codec implements UpdateCodec {
    /** The shared instance. */
    public static final Fp32Codec INSTANCE = new Fp32Codec();

    private Fp32Codec() {
    }

    @Override
    public CodecId id() {
        return CodecId.FP32;
    }

    @Override
    public int headerParameter(final int count) {
        return 0;
    }

    @Override
    public int maxPayloadLength(final int count) {
        return Math.multiplyExact(count, 4);
    }

    @Override
    public int encode(final float[] src, final int off, final int count, final MemorySegment dst, final long dstOff) {
        CodecChecks.requireFiniteInput(src, off, count);
        for (int i = 0; i < count; i++) {
            dst.set(WireLayouts.FLOAT, dstOff + 4L * i, src[off + i]);
        }
        return count * 4;
    }

    @Override
    public void decode(final MemorySegment src, final long srcOff, final int payloadLength, final int count,
                       final int parameter, final float[] dst, final int dstOff) {
        CodecChecks.requirePayloadLength(id(), 4L * count, payloadLength, count);
        CodecChecks.requireDestination(dst, dstOff, count);
        for (int i = 0; i < count; i++) {
            dst[dstOff + i] = CodecChecks.requireFiniteDecoded(id(), src.get(WireLayouts.FLOAT, srcOff + 4L * i), i);
        }
    }
}
