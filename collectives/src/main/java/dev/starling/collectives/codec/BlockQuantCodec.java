package dev.starling.collectives.codec;

import dev.starling.collectives.CollectivesException;
import java.lang.foreign.MemorySegment;

/**
 * Blockwise absmax quantization to int8 or 4-bit. Each block of {@code blockSize} elements stores one float32
 * scale {@code s = absmax / qmax} and each element as {@code round(x / s)} clamped to {@code [-qmax, qmax]}
 * ({@code qmax} 127 for int8, 7 for 4-bit). Payload: all block scales first, then the codes; 4-bit codes are
 * stored biased by 8, two a byte, the even element in the low nibble, and an odd count's last high nibble 0.
 *
 * <p>Immutable; any thread.
 */
public final class BlockQuantCodec implements UpdateCodec {
    /** Smallest block size accepted from a header. */
    public static final int MIN_BLOCK_SIZE = 8;
    /** Largest block size accepted from a header. */
    public static final int MAX_BLOCK_SIZE = 1 << 20;

    private final int bits;
    private final int blockSize;
    private final int qmax;

    /**
     * Creates a codec.
     *
     * @param bits      8 or 4
     * @param blockSize elements per scale, in [{@link #MIN_BLOCK_SIZE}, {@link #MAX_BLOCK_SIZE}]
     * @throws CollectivesException INTERNAL when an argument is out of range
     */
    public BlockQuantCodec(final int bits, final int blockSize) {
        if (bits != 8 && bits != 4) {
            throw CollectivesException.internal("bits must be 8 or 4, was " + bits);
        }
        if (blockSize < MIN_BLOCK_SIZE || blockSize > MAX_BLOCK_SIZE) {
            throw CollectivesException.internal("blockSize must be in [" + MIN_BLOCK_SIZE + ", " + MAX_BLOCK_SIZE
                + "], was " + blockSize);
        }
        this.bits = bits;
        this.blockSize = blockSize;
        this.qmax = bits == 8 ? 127 : 7;
    }

    /**
     * int8 blockwise codec.
     *
     * @param blockSize elements per scale
     * @return the codec
     */
    public static BlockQuantCodec int8(final int blockSize) {
        return new BlockQuantCodec(8, blockSize);
    }

    /**
     * 4-bit blockwise codec.
     *
     * @param blockSize elements per scale
     * @return the codec
     */
    public static BlockQuantCodec int4(final int blockSize) {
        return new BlockQuantCodec(4, blockSize);
    }

    @Override
    public CodecId id() {
        return bits == 8 ? CodecId.INT8_BLOCK : CodecId.INT4_BLOCK;
    }

    @Override
    public int headerParameter(final int count) {
        return blockSize;
    }

    @Override
    public int maxPayloadLength(final int count) {
        return (int) payloadLength(count, blockSize);
    }

    private long payloadLength(final int count, final int block) {
        long blocks = ((long) count + block - 1) / block;
        long codes = bits == 8 ? count : ((long) count + 1) / 2;
        return blocks * 4 + codes;
    }

    @Override
    public int encode(final float[] src, final int off, final int count, final MemorySegment dst, final long dstOff) {
        CodecChecks.requireFiniteInput(src, off, count);
        int blocks = (count + blockSize - 1) / blockSize;
        long codes = dstOff + 4L * blocks;
        for (int b = 0; b < blocks; b++) {
            int start = b * blockSize;
            int end = Math.min(count, start + blockSize);
            float absmax = 0f;
            for (int i = start; i < end; i++) {
                absmax = Math.max(absmax, Math.abs(src[off + i]));
            }
            float scale = absmax / qmax;
            dst.set(WireLayouts.FLOAT, dstOff + 4L * b, scale);
            float inv = scale == 0f ? 0f : 1f / scale;
            for (int i = start; i < end; i++) {
                int q = Math.max(-qmax, Math.min(qmax, Math.round(src[off + i] * inv)));
                if (bits == 8) {
                    dst.set(WireLayouts.BYTE, codes + i, (byte) q);
                } else {
                    long at = codes + (i >>> 1);
                    int prev = (i & 1) == 0 ? 0 : dst.get(WireLayouts.BYTE, at) & 0x0F;
                    int nibble = q + 8;
                    dst.set(WireLayouts.BYTE, at, (byte) ((i & 1) == 0 ? nibble : prev | (nibble << 4)));
                }
            }
        }
        return (int) payloadLength(count, blockSize);
    }

    @Override
    public void decode(final MemorySegment src, final long srcOff, final int payloadLength, final int count,
                       final int parameter, final float[] dst, final int dstOff) {
        if (parameter < MIN_BLOCK_SIZE || parameter > MAX_BLOCK_SIZE) {
            throw CollectivesException.badPeer(id() + " block size " + parameter + " outside ["
                + MIN_BLOCK_SIZE + ", " + MAX_BLOCK_SIZE + "]");
        }
        CodecChecks.requirePayloadLength(id(), payloadLength(count, parameter), payloadLength, count);
        CodecChecks.requireDestination(dst, dstOff, count);
        int blocks = (count + parameter - 1) / parameter;
        long codes = srcOff + 4L * blocks;
        for (int b = 0; b < blocks; b++) {
            float scale = src.get(WireLayouts.FLOAT, srcOff + 4L * b);
            if (!(scale >= 0f) || !Float.isFinite(scale)) {
                throw CollectivesException.badPeer(id() + " block " + b + " has scale " + scale);
            }
            int start = b * parameter;
            int end = Math.min(count, start + parameter);
            for (int i = start; i < end; i++) {
                int q;
                if (bits == 8) {
                    q = src.get(WireLayouts.BYTE, codes + i);
                } else {
                    int packed = src.get(WireLayouts.BYTE, codes + (i >>> 1)) & 0xFF;
                    q = ((i & 1) == 0 ? packed & 0x0F : packed >>> 4) - 8;
                }
                dst[dstOff + i] = CodecChecks.requireFiniteDecoded(id(), q * scale, i);
            }
        }
        if (bits == 4 && (count & 1) == 1) {
            int last = src.get(WireLayouts.BYTE, codes + (count >>> 1)) & 0xFF;
            if ((last >>> 4) != 0) {
                throw CollectivesException.badPeer(id() + " padding nibble is " + (last >>> 4) + ", expected 0");
            }
        }
    }
}
