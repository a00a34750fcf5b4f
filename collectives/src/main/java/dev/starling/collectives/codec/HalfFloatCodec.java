package dev.starling.collectives.codec;

import java.lang.foreign.MemorySegment;

/**
 * Two-byte floats: IEEE fp16 or bfloat16. Values beyond the format's range are clamped to its largest finite
 * value (error feedback carries the rest), so an encoded chunk never holds an infinity.
 *
 * <p>Immutable; any thread.
 */
public final class HalfFloatCodec implements UpdateCodec {
    /** IEEE binary16. */
    public static final HalfFloatCodec FP16 = new HalfFloatCodec(CodecId.FP16);
    /** bfloat16, round to nearest even. */
    public static final HalfFloatCodec BF16 = new HalfFloatCodec(CodecId.BF16);

    private static final float FP16_MAX = 65504f;
    private static final short BF16_MAX_BITS = 0x7F7F;

    private final CodecId id;

    private HalfFloatCodec(final CodecId id) {
        this.id = id;
    }

    @Override
    public CodecId id() {
        return id;
    }

    @Override
    public int headerParameter(final int count) {
        return 0;
    }

    @Override
    public int maxPayloadLength(final int count) {
        return Math.multiplyExact(count, 2);
    }

    @Override
    public int encode(final float[] src, final int off, final int count, final MemorySegment dst, final long dstOff) {
        CodecChecks.requireFiniteInput(src, off, count);
        for (int i = 0; i < count; i++) {
            float v = src[off + i];
            short bits = id == CodecId.FP16 ? toFp16(v) : toBf16(v);
            dst.set(WireLayouts.SHORT, dstOff + 2L * i, bits);
        }
        return count * 2;
    }

    @Override
    public void decode(final MemorySegment src, final long srcOff, final int payloadLength, final int count,
                       final int parameter, final float[] dst, final int dstOff) {
        CodecChecks.requirePayloadLength(id, 2L * count, payloadLength, count);
        CodecChecks.requireDestination(dst, dstOff, count);
        for (int i = 0; i < count; i++) {
            short bits = src.get(WireLayouts.SHORT, srcOff + 2L * i);
            float v = id == CodecId.FP16 ? Float.float16ToFloat(bits) : Float.intBitsToFloat((bits & 0xFFFF) << 16);
            dst[dstOff + i] = CodecChecks.requireFiniteDecoded(id, v, i);
        }
    }

    static short toFp16(final float v) {
        return Float.floatToFloat16(Math.max(-FP16_MAX, Math.min(FP16_MAX, v)));
    }

    static short toBf16(final float v) {
        int bits = Float.floatToRawIntBits(v);
        // Round to nearest even on the 16 bits dropped; a carry into the exponent is the correct rounding.
        int rounded = (bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16;
        if ((rounded & 0x7F80) == 0x7F80) {
            // Rounded up to infinity: clamp to the largest finite bf16 of the same sign.
            rounded = (rounded & 0x8000) | BF16_MAX_BITS;
        }
        return (short) rounded;
    }
}
