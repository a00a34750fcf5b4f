package dev.starling.training.pipeline;

import dev.starling.collectives.CollectivesException;
import dev.starling.collectives.codec.HalfFloatCodec;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * One message of {@code /starling/pipeline/1.0.0}: a micro-batch's activations (forward) or gradients (backward)
 * for one hop, compressed to bfloat16, plus the token ids the first stage embeds or the targets the last stage
 * scores. Wire codec only (bytes ⇄ record, no I/O). Layout, big-endian:
 *
 * <pre>
 *  0      4      5      6      8               16     20     24     28     32     36     40          44
 *  +------+------+------+------+---------------+------+------+------+------+------+------+-----------+
 *  |magic |kind  |parts |  0   | micro-batch   | from | to   |  B   |  T   |  C   | loss | ids count |
 *  +------+------+------+------+---------------+------+------+------+------+------+------+-----------+
 *  | bf16 tensor, B*T*C * 2 bytes LE | ids, 4 bytes each |
 *  +---------------------------------+-------------------+
 * </pre>
 *
 * {@code from} is the stage that produced the tensor (-1 for the data source), {@code to} the stage that consumes it
 * (-1 for the client). {@code C} is 0 when a frame carries ids only. {@code loss} is NaN except in the last stage's
 * answer. {@code parts} says which parts of the stage a FORWARD or BACKWARD runs ({@link HopPlan}'s bits; 0 in
 * answers). Every size is checked against {@link #MAX_ELEMENTS} before anything is allocated.
 *
 * @param kind       what the frame asks or answers
 * @param parts      {@link HopPlan} part bits of a request, 0 in an answer
 * @param microBatch the micro-batch id the client chose
 * @param fromStage  producing stage, -1 for the client's data
 * @param toStage    consuming stage, -1 for the client
 * @param batch      B
 * @param seq        T
 * @param channels   C, or 0 without a tensor
 * @param loss       the last stage's loss, else NaN
 * @param tensor     B*T*C floats (or empty)
 * @param ids        token ids or targets (or empty)
 */
public record PipelineFrame(Kind kind, int parts, long microBatch, int fromStage, int toStage, int batch, int seq,
                            int channels, float loss, float[] tensor, int[] ids) {
    /** The protocol id. */
    public static final String PROTOCOL = "/starling/pipeline/1.0.0";
    /** Largest tensor a frame may carry, in elements (64 Mi floats: 128 MiB of bf16). */
    public static final int MAX_ELEMENTS = 1 << 26;
    /** Largest number of ids a frame may carry. */
    public static final int MAX_IDS = 1 << 22;
    /** Header bytes. */
    public static final int HEADER_BYTES = 44;
    private static final int MAGIC = 0x53504C31;

    /** What a frame is. */
    public enum Kind {
        /** Client to stage: run the forward of this micro-batch (ids = tokens on stage 0, targets on the last). */
        FORWARD,
        /** Stage to client: the forward's output (the last stage answers with GRADIENT and the loss instead). */
        ACTIVATION,
        /** Client to stage: run the backward with this d(output). */
        BACKWARD,
        /** Stage to client: d(input); on the last stage also the loss. */
        GRADIENT,
        /** Stage to client: the request was refused (bad input, unknown micro-batch, overloaded). */
        REJECT
    }

    /**
     * The largest encoded frame for a tensor and ids of these sizes.
     *
     * @param elements tensor elements
     * @param ids      ids
     * @return bytes
     */
    public static int encodedSize(int elements, int ids) {
        return HEADER_BYTES + 2 * elements + 4 * ids;
    }

    /**
     * Encodes this frame, compressing the tensor to bfloat16.
     *
     * @return the bytes
     * @throws CollectivesException INTERNAL if the tensor holds NaN or Inf (never sent)
     */
    public byte[] encode() {
        int elements = channels == 0 ? 0 : batch * seq * channels;
        byte[] out = new byte[encodedSize(elements, ids.length)];
        ByteBuffer b = ByteBuffer.wrap(out);
        b.putInt(MAGIC).put((byte) kind.ordinal()).put((byte) parts).putShort((short) 0).putLong(microBatch)
                .putInt(fromStage).putInt(toStage).putInt(batch).putInt(seq).putInt(channels).putFloat(loss)
                .putInt(ids.length);
        if (elements > 0) {
            HalfFloatCodec.BF16.encode(tensor, 0, elements, MemorySegment.ofArray(out), HEADER_BYTES);
        }
        b.position(HEADER_BYTES + 2 * elements);
        for (int id : ids) {
            b.putInt(id);
        }
        return out;
    }

    /**
     * Decodes a frame from a peer, checking every size before allocating and every value for NaN/Inf.
     *
     * @param bytes the frame (already capped by the stream's frame limit)
     * @return the frame
     * @throws PipelineException BAD_INPUT on a wrong magic, kind, size or a non-finite value
     */
    public static PipelineFrame decode(byte[] bytes) {
        if (bytes.length < HEADER_BYTES) {
            throw PipelineException.badInput("frame of " + bytes.length + " bytes is shorter than its header");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (b.getInt() != MAGIC) {
            throw PipelineException.badInput("frame does not start with the pipeline magic");
        }
        int kindOrdinal = b.get();
        int parts = b.get();
        b.getShort();
        if (kindOrdinal < 0 || kindOrdinal >= Kind.values().length) {
            throw PipelineException.badInput("unknown frame kind " + kindOrdinal);
        }
        if (parts < 0 || parts > (HopPlan.EMBED | HopPlan.BLOCKS | HopPlan.HEAD)) {
            throw PipelineException.badInput("unknown parts " + parts);
        }
        long microBatch = b.getLong();
        int from = b.getInt();
        int to = b.getInt();
        int batch = b.getInt();
        int seq = b.getInt();
        int channels = b.getInt();
        float loss = b.getFloat();
        int idCount = b.getInt();
        long elements = channels == 0 ? 0 : (long) batch * seq * channels;
        if (batch < 0 || seq < 0 || channels < 0 || elements > MAX_ELEMENTS || idCount < 0 || idCount > MAX_IDS) {
            throw PipelineException.badInput("frame shape B " + batch + " T " + seq + " C " + channels + " ids "
                    + idCount + " is negative or over the caps");
        }
        if (bytes.length != encodedSize((int) elements, idCount)) {
            throw PipelineException.badInput("frame of " + bytes.length + " bytes does not match its shape (expected "
                    + encodedSize((int) elements, idCount) + ")");
        }
        if (Float.isInfinite(loss)) {
            throw PipelineException.badInput("loss is infinite");
        }
        float[] tensor = new float[(int) elements];
        try {
            HalfFloatCodec.BF16.decode(MemorySegment.ofArray(bytes), HEADER_BYTES, 2 * (int) elements, (int) elements,
                    0, tensor, 0);
        } catch (CollectivesException e) {
            throw PipelineException.badInput("tensor: " + e.getMessage());
        }
        b.position(HEADER_BYTES + 2 * (int) elements);
        int[] ids = new int[idCount];
        for (int i = 0; i < idCount; i++) {
            ids[i] = b.getInt();
        }
        return new PipelineFrame(Kind.values()[kindOrdinal], parts, microBatch, from, to, batch, seq, channels, loss,
                tensor, ids);
    }

    /**
     * A refusal.
     *
     * @param microBatch the refused request's micro-batch (-1 when it could not be read)
     * @param stage      the refusing stage
     * @return the frame
     */
    public static PipelineFrame reject(long microBatch, int stage) {
        return new PipelineFrame(Kind.REJECT, 0, microBatch, stage, -1, 0, 0, 0, Float.NaN, new float[0],
                new int[0]);
    }
}
