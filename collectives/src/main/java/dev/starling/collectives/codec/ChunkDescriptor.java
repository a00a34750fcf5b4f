package dev.starling.collectives.codec;

import java.lang.foreign.MemorySegment;
import java.util.zip.CRC32C;

/**
 * Flyweight over the fixed header of an update chunk (STYLE rule 9). It reads and writes fields at constant
 * offsets of a wrapped {@link MemorySegment}; wrapping allocates nothing, so a receiver keeps one descriptor and
 * re-wraps it per chunk. All values are little-endian.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-------------------------------+---------------+---------------+
 * |     magic 0x5453 ("ST")       |    version    |   codec id    |  0
 * +---------------+---------------+---------------+---------------+
 * |     kind      |          reserved, zero (3 bytes)             |  4
 * +---------------+-----------------------------------------------+
 * |          codec parameter (block size, or k for top-k)         |  8
 * +---------------------------------------------------------------+
 * |                      part index (u32)                         | 12
 * +---------------------------------------------------------------+
 * |                      run id hash (u64)                        | 16
 * |                                                               |
 * +---------------------------------------------------------------+
 * |                         round (u64)                           | 24
 * |                                                               |
 * +---------------------------------------------------------------+
 * |      element offset of the part in the full vector (u64)      | 32
 * |                                                               |
 * +---------------------------------------------------------------+
 * |                    element count (u32)                        | 40
 * +---------------------------------------------------------------+
 * |                    payload length (u32)                       | 44
 * +---------------------------------------------------------------+
 * |   CRC32C of bytes 0..47 followed by the payload (u32)         | 48
 * +---------------------------------------------------------------+
 * |                    reserved, zero (u32)                       | 52
 * +---------------------------------------------------------------+
 * |                 payload (payload length bytes)               ...  56
 * </pre>
 *
 * <p>Not thread-safe: one descriptor per owner thread. The descriptor never owns the segment it wraps. Reading a
 * field outside the wrapped segment throws {@link IndexOutOfBoundsException}; {@link UpdateChunks#verify} checks
 * the length first, so receivers only read fields of a verified chunk.
 */
public final class ChunkDescriptor {
    /** Magic value of the first two bytes. */
    public static final short MAGIC = 0x5453;
    /** Header format version. */
    public static final byte VERSION = 1;
    /** Offset of the magic (u16). */
    public static final int MAGIC_OFFSET = 0;
    /** Offset of the version (u8). */
    public static final int VERSION_OFFSET = 2;
    /** Offset of the codec id (u8). */
    public static final int CODEC_OFFSET = 3;
    /** Offset of the chunk kind (u8). */
    public static final int KIND_OFFSET = 4;
    /** Offset of three reserved bytes (zero). */
    public static final int RESERVED_A_OFFSET = 5;
    /** Offset of the codec parameter (u32). */
    public static final int CODEC_PARAMETER_OFFSET = 8;
    /** Offset of the part index (u32). */
    public static final int PART_OFFSET = 12;
    /** Offset of the run id hash (u64). */
    public static final int RUN_ID_HASH_OFFSET = 16;
    /** Offset of the round (u64). */
    public static final int ROUND_OFFSET = 24;
    /** Offset of the element offset (u64). */
    public static final int ELEMENT_OFFSET_OFFSET = 32;
    /** Offset of the element count (u32). */
    public static final int ELEMENT_COUNT_OFFSET = 40;
    /** Offset of the payload length (u32). */
    public static final int PAYLOAD_LENGTH_OFFSET = 44;
    /** Offset of the checksum (u32). */
    public static final int CHECKSUM_OFFSET = 48;
    /** Offset of the trailing reserved word (zero). */
    public static final int RESERVED_B_OFFSET = 52;
    /** Header length; the payload starts here. */
    public static final int HEADER_LENGTH = 56;

    private MemorySegment buffer;
    private long offset;

    /**
     * Points this flyweight at a chunk.
     *
     * @param buffer the segment holding the chunk (not owned)
     * @param offset where the header starts
     * @return this
     */
    public ChunkDescriptor wrap(final MemorySegment buffer, final long offset) {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    /** @return the wrapped segment */
    public MemorySegment buffer() {
        return buffer;
    }

    /** @return where the header starts in {@link #buffer()} */
    public long offset() {
        return offset;
    }

    /** @return the magic field */
    public short magic() {
        return buffer.get(WireLayouts.SHORT, offset + MAGIC_OFFSET);
    }

    /** @return the version byte, unsigned */
    public int version() {
        return buffer.get(WireLayouts.BYTE, offset + VERSION_OFFSET) & 0xFF;
    }

    /** @return the codec wire id, unsigned */
    public int codecWireId() {
        return buffer.get(WireLayouts.BYTE, offset + CODEC_OFFSET) & 0xFF;
    }

    /** @return the kind wire id, unsigned */
    public int kindWireId() {
        return buffer.get(WireLayouts.BYTE, offset + KIND_OFFSET) & 0xFF;
    }

    /** @return true when both reserved regions are zero */
    public boolean reservedZero() {
        int a = (buffer.get(WireLayouts.BYTE, offset + RESERVED_A_OFFSET)
            | buffer.get(WireLayouts.BYTE, offset + RESERVED_A_OFFSET + 1)
            | buffer.get(WireLayouts.BYTE, offset + RESERVED_A_OFFSET + 2));
        return a == 0 && buffer.get(WireLayouts.INT, offset + RESERVED_B_OFFSET) == 0;
    }

    /** @return the codec parameter (u32 read as int; negative means above 2^31) */
    public int codecParameter() {
        return buffer.get(WireLayouts.INT, offset + CODEC_PARAMETER_OFFSET);
    }

    /** @return the part index (negative means above 2^31) */
    public int partIndex() {
        return buffer.get(WireLayouts.INT, offset + PART_OFFSET);
    }

    /** @return the run id hash */
    public long runIdHash() {
        return buffer.get(WireLayouts.LONG, offset + RUN_ID_HASH_OFFSET);
    }

    /** @return the round */
    public long round() {
        return buffer.get(WireLayouts.LONG, offset + ROUND_OFFSET);
    }

    /** @return the part's element offset in the full vector */
    public long elementOffset() {
        return buffer.get(WireLayouts.LONG, offset + ELEMENT_OFFSET_OFFSET);
    }

    /** @return the element count (negative means above 2^31) */
    public int elementCount() {
        return buffer.get(WireLayouts.INT, offset + ELEMENT_COUNT_OFFSET);
    }

    /** @return the payload length (negative means above 2^31) */
    public int payloadLength() {
        return buffer.get(WireLayouts.INT, offset + PAYLOAD_LENGTH_OFFSET);
    }

    /** @return the checksum field */
    public int checksum() {
        return buffer.get(WireLayouts.INT, offset + CHECKSUM_OFFSET);
    }

    /**
     * Writes every header field except the checksum, and zeroes the reserved bytes.
     *
     * @param codec         codec id
     * @param parameter     codec parameter
     * @param kind          chunk kind
     * @param part          part index
     * @param runIdHash     run id hash
     * @param round         round
     * @param elementOffset element offset of the part
     * @param count         element count
     * @param payloadLength payload bytes
     * @return this
     */
    public ChunkDescriptor writeHeader(final CodecId codec, final int parameter, final ChunkKind kind, final int part,
                                       final long runIdHash, final long round, final long elementOffset,
                                       final int count, final int payloadLength) {
        buffer.set(WireLayouts.SHORT, offset + MAGIC_OFFSET, MAGIC);
        buffer.set(WireLayouts.BYTE, offset + VERSION_OFFSET, VERSION);
        buffer.set(WireLayouts.BYTE, offset + CODEC_OFFSET, (byte) codec.wireId());
        buffer.set(WireLayouts.BYTE, offset + KIND_OFFSET, (byte) kind.wireId());
        buffer.asSlice(offset + RESERVED_A_OFFSET, 3).fill((byte) 0);
        buffer.set(WireLayouts.INT, offset + CODEC_PARAMETER_OFFSET, parameter);
        buffer.set(WireLayouts.INT, offset + PART_OFFSET, part);
        buffer.set(WireLayouts.LONG, offset + RUN_ID_HASH_OFFSET, runIdHash);
        buffer.set(WireLayouts.LONG, offset + ROUND_OFFSET, round);
        buffer.set(WireLayouts.LONG, offset + ELEMENT_OFFSET_OFFSET, elementOffset);
        buffer.set(WireLayouts.INT, offset + ELEMENT_COUNT_OFFSET, count);
        buffer.set(WireLayouts.INT, offset + PAYLOAD_LENGTH_OFFSET, payloadLength);
        buffer.set(WireLayouts.INT, offset + RESERVED_B_OFFSET, 0);
        return this;
    }

    /**
     * Computes and stores the checksum; call after the header and payload are written.
     *
     * @return this
     */
    public ChunkDescriptor sealChecksum() {
        buffer.set(WireLayouts.INT, offset + CHECKSUM_OFFSET, computeChecksum(payloadLength()));
        return this;
    }

    /**
     * CRC32C of the header bytes before the checksum and of {@code payloadLength} payload bytes. The caller must
     * have checked that the payload lies inside the buffer.
     *
     * @param payloadLength payload bytes to cover
     * @return the checksum
     */
    public int computeChecksum(final int payloadLength) {
        CRC32C crc = new CRC32C();
        crc.update(buffer.asSlice(offset, CHECKSUM_OFFSET).asByteBuffer());
        crc.update(buffer.asSlice(offset + HEADER_LENGTH, payloadLength).asByteBuffer());
        return (int) crc.getValue();
    }
}
