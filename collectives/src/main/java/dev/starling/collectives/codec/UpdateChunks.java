package dev.starling.collectives.codec;

import dev.starling.collectives.CollectivesException;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The chunk wire codec: a {@link ChunkDescriptor} header followed by a codec payload. Pure functions; any thread.
 *
 * <p>Receivers call {@link #verify} on a wrapped descriptor, compare the header against what they expect
 * (run, round, part, offset, count), then {@link #decodePayload} into a buffer they sized themselves. Every
 * check that uses a size from the header runs before anything sized from it is allocated or read.
 */
public final class UpdateChunks {
    /** Default cap on the elements one chunk may announce (64 MiB of float32). */
    public static final int DEFAULT_MAX_ELEMENTS = 1 << 24;

    private UpdateChunks() {
    }

    /**
     * Encodes {@code src[srcOff, srcOff+count)} into a new, exactly sized heap chunk.
     *
     * @param codec         the codec
     * @param kind          contribution or aggregate
     * @param runIdHash     run id hash
     * @param round         round number
     * @param part          part index
     * @param elementOffset where the part starts in the full vector
     * @param src           values, all finite
     * @param srcOff        first value
     * @param count         values to encode
     * @return the chunk; the caller owns it
     * @throws CollectivesException INTERNAL for non-finite input or bad ranges
     */
    public static MemorySegment encode(final UpdateCodec codec, final ChunkKind kind, final long runIdHash,
                                       final long round, final int part, final long elementOffset,
                                       final float[] src, final int srcOff, final int count) {
        byte[] bytes = new byte[ChunkDescriptor.HEADER_LENGTH + codec.maxPayloadLength(count)];
        MemorySegment buffer = MemorySegment.ofArray(bytes);
        int payload = codec.encode(src, srcOff, count, buffer, ChunkDescriptor.HEADER_LENGTH);
        int total = ChunkDescriptor.HEADER_LENGTH + payload;
        MemorySegment chunk = total == bytes.length ? buffer : MemorySegment.ofArray(Arrays.copyOf(bytes, total));
        new ChunkDescriptor().wrap(chunk, 0)
            .writeHeader(codec.id(), codec.headerParameter(count), kind, part, runIdHash, round, elementOffset,
                count, payload)
            .sealChecksum();
        return chunk;
    }

    /**
     * Checks a chunk's header against its length and its checksum. {@code descriptor} is re-wrapped onto
     * {@code chunk} at offset 0; after this returns, every header field may be read.
     *
     * @param descriptor  flyweight to wrap (reused by the caller)
     * @param chunk       the whole chunk as received, exactly its bytes
     * @param maxElements cap on the element count
     * @return the codec id the chunk uses
     * @throws CollectivesException BAD_PEER when the chunk is truncated or oversized, a size field lies or breaks
     *         a cap, a field is unknown, or the checksum fails
     */
    public static CodecId verify(final ChunkDescriptor descriptor, final MemorySegment chunk,
                                 final int maxElements) {
        long length = chunk.byteSize();
        if (length < ChunkDescriptor.HEADER_LENGTH) {
            throw CollectivesException.badPeer("chunk of " + length + " bytes is shorter than the "
                + ChunkDescriptor.HEADER_LENGTH + "-byte header");
        }
        descriptor.wrap(chunk, 0);
        if (descriptor.magic() != ChunkDescriptor.MAGIC || descriptor.version() != ChunkDescriptor.VERSION) {
            throw CollectivesException.badPeer("bad magic 0x" + Integer.toHexString(descriptor.magic() & 0xFFFF)
                + " or version " + descriptor.version());
        }
        CodecId codec = CodecId.fromWire(descriptor.codecWireId());
        if (codec == null) {
            throw CollectivesException.badPeer("unknown codec id " + descriptor.codecWireId());
        }
        if (ChunkKind.fromWire(descriptor.kindWireId()) == null || !descriptor.reservedZero()) {
            throw CollectivesException.badPeer("unknown chunk kind " + descriptor.kindWireId()
                + " or non-zero reserved bytes");
        }
        int count = descriptor.elementCount();
        if (count < 0 || count > maxElements) {
            throw CollectivesException.badPeer("element count " + Integer.toUnsignedString(count)
                + " above the cap of " + maxElements);
        }
        long payload = Integer.toUnsignedLong(descriptor.payloadLength());
        if (payload != length - ChunkDescriptor.HEADER_LENGTH) {
            throw CollectivesException.badPeer("header announces a " + payload + "-byte payload but the chunk has "
                + (length - ChunkDescriptor.HEADER_LENGTH) + " bytes after the header (truncated or oversized)");
        }
        if (payload > codecBound(codec, count)) {
            throw CollectivesException.badPeer(codec + " payload of " + payload + " bytes too large for "
                + count + " elements");
        }
        if (descriptor.elementOffset() < 0 || descriptor.partIndex() < 0) {
            throw CollectivesException.badPeer("negative element offset " + descriptor.elementOffset()
                + " or part index " + descriptor.partIndex());
        }
        int expected = descriptor.computeChecksum((int) payload);
        if (expected != descriptor.checksum()) {
            throw CollectivesException.badPeer("checksum mismatch: header 0x" + Integer.toHexString(
                descriptor.checksum()) + ", computed 0x" + Integer.toHexString(expected));
        }
        return codec;
    }

    /** Largest payload any valid chunk of {@code count} elements can have with this codec. */
    private static long codecBound(final CodecId codec, final int count) {
        return switch (codec) {
            case FP32 -> 4L * count;
            case FP16, BF16 -> 2L * count;
            // The smallest legal block size gives the most scales.
            case INT8_BLOCK -> count + 4L * ((count + BlockQuantCodec.MIN_BLOCK_SIZE - 1L)
                / BlockQuantCodec.MIN_BLOCK_SIZE);
            case INT4_BLOCK -> (count + 1L) / 2 + 4L * ((count + BlockQuantCodec.MIN_BLOCK_SIZE - 1L)
                / BlockQuantCodec.MIN_BLOCK_SIZE);
            case TOP_K -> 1L + 5L * count + 4L * count;
        };
    }

    /**
     * Decodes the payload of a chunk already passed through {@link #verify} into {@code dst}.
     *
     * @param descriptor the verified descriptor
     * @param dst        destination, sized by the caller (not from the header)
     * @param dstOff     first destination element
     * @throws CollectivesException BAD_PEER when the payload disagrees with the header or decodes to NaN/Inf;
     *         INTERNAL when {@code dst} is too small for the verified count
     */
    public static void decodePayload(final ChunkDescriptor descriptor, final float[] dst, final int dstOff) {
        CodecId codec = CodecId.fromWire(descriptor.codecWireId());
        if (codec == null) {
            throw CollectivesException.internal("decodePayload called on an unverified chunk");
        }
        codec.decoder().decode(descriptor.buffer(), descriptor.offset() + ChunkDescriptor.HEADER_LENGTH,
            descriptor.payloadLength(), descriptor.elementCount(), descriptor.codecParameter(), dst, dstOff);
    }

    /**
     * Verifies and decodes a chunk into a new array of the announced count (bounded by {@code maxElements}).
     *
     * @param chunk       the chunk
     * @param maxElements cap on the element count, checked before allocating
     * @return the decoded values
     * @throws CollectivesException BAD_PEER for any malformed chunk
     */
    public static float[] decode(final MemorySegment chunk, final int maxElements) {
        ChunkDescriptor descriptor = new ChunkDescriptor();
        verify(descriptor, chunk, maxElements);
        float[] out = new float[descriptor.elementCount()];
        decodePayload(descriptor, out, 0);
        return out;
    }
}
