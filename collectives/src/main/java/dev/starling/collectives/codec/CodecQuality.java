package dev.starling.collectives.codec;

import java.lang.foreign.MemorySegment;

/**
 * What a codec costs and loses on one vector: the chunk size (header included) against raw float32, and the
 * reconstruction error of one encode/decode without error feedback.
 *
 * @param codec            which codec
 * @param elements         elements encoded
 * @param chunkBytes       bytes of the whole chunk, header included
 * @param compressionRatio {@code 4 * elements / chunkBytes}
 * @param relativeL2Error  {@code ||x - decode(encode(x))|| / ||x||}
 * @param maxAbsError      largest element-wise absolute error
 */
public record CodecQuality(CodecId codec, int elements, long chunkBytes, double compressionRatio,
                           double relativeL2Error, double maxAbsError) {

    /**
     * Measures a codec on a vector.
     *
     * @param codec the codec
     * @param x     the vector, finite
     * @return the measurement
     */
    public static CodecQuality measure(final UpdateCodec codec, final float[] x) {
        MemorySegment chunk = UpdateChunks.encode(codec, ChunkKind.CONTRIBUTION, 0L, 0L, 0, 0L, x, 0, x.length);
        float[] y = UpdateChunks.decode(chunk, Math.max(1, x.length));
        double err = 0;
        double norm = 0;
        double max = 0;
        for (int i = 0; i < x.length; i++) {
            double d = (double) x[i] - y[i];
            err += d * d;
            norm += (double) x[i] * x[i];
            max = Math.max(max, Math.abs(d));
        }
        double rel = norm == 0 ? Math.sqrt(err) : Math.sqrt(err / norm);
        return new CodecQuality(codec.id(), x.length, chunk.byteSize(), 4.0 * x.length / chunk.byteSize(), rel, max);
    }

    @Override
    public String toString() {
        return String.format("%-10s n=%d bytes=%d ratio=%.2fx relL2=%.4g maxAbs=%.4g", codec, elements, chunkBytes,
            compressionRatio, relativeL2Error, maxAbsError);
    }
}
