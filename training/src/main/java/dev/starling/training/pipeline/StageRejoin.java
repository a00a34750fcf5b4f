package dev.starling.training.pipeline;

import dev.starling.fault.checkfree.CheckFree;
import dev.starling.model.GptStage;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.protocol.oneshot.OneMessageProtocol;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.CompletableFuture;

/**
 * CheckFree over the network: a peer assigned to a stage that lost all its peers fetches its two neighbours' block
 * weights and last gradient norms on {@link #PROTOCOL} (one message per stream, served by every {@link StageServer}
 * from a snapshot taken after each optimizer step) and initialises its stage as their gradient-norm-weighted average.
 * Message: gradient norm (float64), count (int32), then count float32, little-endian; capped before allocating.
 *
 * <p>Stateless; the futures complete on the streams' owner threads.
 */
public final class StageRejoin {
    /** The protocol id. */
    public static final String PROTOCOL = "/starling/stage-weights/1.0.0";

    private StageRejoin() {
    }

    /** A neighbour's block weights and its last gradient norm. */
    record Snapshot(double gradNorm, float[] blocks) {
    }

    /**
     * The message a stage peer serves (call on the thread that owns the worker).
     *
     * @param worker the stage
     * @return the bytes
     */
    static byte[] encode(StageWorker worker) {
        int[] range = worker.stage().blockRange();
        ByteBuffer b = ByteBuffer.allocate(12 + 4 * range[1]).order(ByteOrder.LITTLE_ENDIAN);
        b.putDouble(worker.lastGradNorm()).putInt(range[1]);
        b.asFloatBuffer().put(worker.stage().parameters().data(), range[0], range[1]);
        return b.array();
    }

    static Snapshot decode(byte[] bytes, int expected) {
        if (bytes.length != 12 + 4L * expected) {
            throw PipelineException.badInput("stage weights of " + bytes.length + " bytes, expected " + (12 + 4L
                    * expected));
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        double norm = b.getDouble();
        if (b.getInt() != expected) {
            throw PipelineException.badInput("stage weights announce another count than " + expected);
        }
        float[] blocks = new float[expected];
        b.asFloatBuffer().get(blocks);
        for (float v : blocks) {
            if (!Float.isFinite(v)) {
                throw PipelineException.badInput("stage weights hold " + v);
            }
        }
        return new Snapshot(norm, blocks);
    }

    /**
     * Rebuilds an intermediate stage from its two neighbours' weights fetched over the network (CheckFree).
     *
     * @param host   this peer's host (connected to, or able to dial, both neighbours)
     * @param prev   a peer serving stage s-1
     * @param next   a peer serving stage s+1
     * @param target the stage to initialise (its blocks are overwritten; the caller owns it)
     * @return completes when the blocks are written; fails with PipelineException on bad weights or P2pException
     */
    public static CompletableFuture<Void> checkFree(Host host, PeerId prev, PeerId next, GptStage target) {
        int[] range = target.blockRange();
        int maxBytes = 12 + 4 * range[1];
        CompletableFuture<byte[]> a = OneMessageProtocol.fetch(host, prev, PROTOCOL, maxBytes);
        CompletableFuture<byte[]> b = OneMessageProtocol.fetch(host, next, PROTOCOL, maxBytes);
        return a.thenCombine(b, (pa, pb) -> {
            Snapshot sa = decode(pa, range[1]);
            Snapshot sb = decode(pb, range[1]);
            CheckFree.average(sa.blocks(), 0, sa.gradNorm(), sb.blocks(), 0, sb.gradNorm(),
                    target.parameters().data(), range[0], range[1]);
            return null;
        });
    }
}
