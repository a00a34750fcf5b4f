package dev.starling.collectives.codec;

import java.lang.foreign.MemorySegment;

/**
 * A lossy or lossless encoding of a run of float32 values into a chunk payload.
 *
 * <p>Vectors are heap {@code float[]} with an offset and a count; payloads are {@link MemorySegment}s (heap or
 * native, little-endian). Implementations are stateless or immutable, so one instance may be shared by
 * threads; each call writes only into the buffers it is given and allocates nothing sized by its input
 * unless its Javadoc says so.
 *
 * <p>Decoding treats the payload as hostile: every size is checked against the count and the header
 * parameter before anything is read, and a decoded NaN or infinity is rejected. Failures are
 * {@link dev.starling.collectives.CollectivesException} with category {@code BAD_PEER}.
 */
public interface UpdateCodec {

    /**
     * Which codec this is.
     *
     * @return the codec id
     */
    CodecId id();

    /**
     * The codec parameter written in the chunk header for a chunk of {@code count} elements (block size for
     * blockwise codecs, k for top-k, 0 otherwise).
     *
     * @param count elements in the chunk
     * @return the parameter
     */
    int headerParameter(int count);

    /**
     * An upper bound on the payload length for {@code count} elements, for sizing the encode buffer.
     *
     * @param count elements in the chunk
     * @return bytes
     */
    int maxPayloadLength(int count);

    /**
     * Encodes {@code src[off, off+count)} into {@code dst} at {@code dstOff}.
     *
     * @param src    the values, all finite
     * @param off    first element
     * @param count  elements to encode
     * @param dst    destination, at least {@link #maxPayloadLength(int)} bytes from {@code dstOff}
     * @param dstOff where the payload starts
     * @return the payload length written
     * @throws dev.starling.collectives.CollectivesException INTERNAL when an input value is not finite
     */
    int encode(float[] src, int off, int count, MemorySegment dst, long dstOff);

    /**
     * Decodes a payload into {@code dst[dstOff, dstOff+count)}.
     *
     * @param src           the payload's segment
     * @param srcOff        where the payload starts
     * @param payloadLength payload bytes, already checked to lie inside {@code src}
     * @param count         elements the header announced
     * @param parameter     the header's codec parameter
     * @param dst           destination
     * @param dstOff        first destination element
     * @throws dev.starling.collectives.CollectivesException BAD_PEER when the sizes disagree, the parameter is
     *         out of range, or a value decodes to NaN or infinity
     */
    void decode(MemorySegment src, long srcOff, int payloadLength, int count, int parameter, float[] dst, int dstOff);
}
