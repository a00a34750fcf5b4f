package dev.starling.collectives.codec;

import dev.starling.collectives.CollectivesException;
import java.lang.foreign.MemorySegment;

/**
 * Error feedback for lossy codecs (Seide et al. 2014; Karimireddy et al. 2019): this peer keeps a residual
 * {@code e} over its whole update vector. Encoding a part sends {@code c = encode(Δ + e)} and keeps
 * {@code e ← Δ + e − decode(c)}, so what compression drops this round is sent in a later one.
 *
 * <p>One instance per peer and vector, owned by the thread that encodes its updates; not thread-safe.
 */
public final class ErrorFeedback {
    private final float[] residual;

    /**
     * Creates a zero residual.
     *
     * @param length elements in the full update vector
     */
    public ErrorFeedback(final int length) {
        if (length < 0) {
            throw CollectivesException.internal("negative length " + length);
        }
        this.residual = new float[length];
    }

    /**
     * Encodes one part of {@code delta} (indices {@code [offset, offset+count)} of the full vector, which is
     * also where {@code delta} holds them) with the residual added, and updates the residual.
     *
     * @param codec     codec
     * @param kind      chunk kind (normally {@link ChunkKind#CONTRIBUTION})
     * @param runIdHash run id hash
     * @param round     round
     * @param part      part index
     * @param delta     the full update vector Δ, finite
     * @param offset    first element of the part
     * @param count     elements in the part
     * @return the encoded chunk; the caller owns it
     * @throws CollectivesException INTERNAL when ranges are wrong or the input is not finite
     */
    public MemorySegment encode(final UpdateCodec codec, final ChunkKind kind, final long runIdHash,
                                final long round, final int part, final float[] delta, final int offset,
                                final int count) {
        if (delta.length != residual.length || offset < 0 || count < 0 || offset > residual.length - count) {
            throw CollectivesException.internal("part [" + offset + ", +" + count + ") of a " + delta.length
                + "-element delta does not fit the " + residual.length + "-element residual");
        }
        float[] compensated = new float[count];
        for (int i = 0; i < count; i++) {
            compensated[i] = delta[offset + i] + residual[offset + i];
        }
        MemorySegment chunk = UpdateChunks.encode(codec, kind, runIdHash, round, part, offset, compensated, 0,
            count);
        float[] sent = UpdateChunks.decode(chunk, Math.max(count, 1));
        for (int i = 0; i < count; i++) {
            residual[offset + i] = compensated[i] - sent[i];
        }
        return chunk;
    }

    /**
     * The residual's value at one element, for tests and telemetry.
     *
     * @param index element
     * @return the residual
     */
    public float residualAt(final int index) {
        return residual[index];
    }

    /**
     * L2 norm of the whole residual.
     *
     * @return the norm
     */
    public double residualNorm() {
        double s = 0;
        for (float r : residual) {
            s += (double) r * r;
        }
        return Math.sqrt(s);
    }
}
