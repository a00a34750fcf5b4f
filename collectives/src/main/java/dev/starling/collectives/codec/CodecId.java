package dev.starling.collectives.codec;

/**
 * The codecs an update chunk can be encoded with, and the one-byte id each has on the wire.
 *
 * <p>Immutable; safe from any thread.
 */
public enum CodecId {
    /** Raw little-endian float32: lossless, 4 bytes an element. Used for aggregated parts by default. */
    FP32(1),
    /** IEEE half precision, 2 bytes an element, values clamped to ±65504. */
    FP16(2),
    /** bfloat16 (upper half of float32, round to nearest even), 2 bytes an element. */
    BF16(3),
    /** int8 per block with a float32 absmax scale per block. */
    INT8_BLOCK(4),
    /** 4-bit per element (two a byte) per block with a float32 absmax scale per block. */
    INT4_BLOCK(5),
    /** The k largest magnitudes: indices (delta-varint or bitmap, whichever is smaller) plus float32 values. */
    TOP_K(6);

    private final int wireId;

    CodecId(final int wireId) {
        this.wireId = wireId;
    }

    /**
     * The byte written in the chunk header.
     *
     * @return the wire id, 1..255
     */
    public int wireId() {
        return wireId;
    }

    /**
     * Looks a codec up by its wire id.
     *
     * @param wireId the byte read from a header, as an unsigned value
     * @return the codec id, or {@code null} when no codec has that id
     */
    public static CodecId fromWire(final int wireId) {
        for (CodecId id : values()) {
            if (id.wireId == wireId) {
                return id;
            }
        }
        return null;
    }

    /**
     * A codec instance able to decode any chunk of this id (decoding takes its parameter from the header).
     *
     * @return a stateless decoder
     */
    public UpdateCodec decoder() {
        return switch (this) {
            case FP32 -> Fp32Codec.INSTANCE;
            case FP16 -> HalfFloatCodec.FP16;
            case BF16 -> HalfFloatCodec.BF16;
            case INT8_BLOCK -> Decoders.INT8;
            case INT4_BLOCK -> Decoders.INT4;
            case TOP_K -> Decoders.TOP_K;
        };
    }

    /** Shared decoder instances, so decoding a chunk allocates no codec object. */
    private static final class Decoders {
        static final UpdateCodec INT8 = new BlockQuantCodec(8, BlockQuantCodec.MIN_BLOCK_SIZE);
        static final UpdateCodec INT4 = new BlockQuantCodec(4, BlockQuantCodec.MIN_BLOCK_SIZE);
        static final UpdateCodec TOP_K = new TopKCodec(1.0);
    }
}
