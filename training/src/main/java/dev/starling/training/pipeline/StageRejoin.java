package dev.starling.training.pipeline;

import dev.starling.fault.checkfree.CheckFree;
import dev.starling.fault.checkfree.RecoveryPlan;
import dev.starling.model.GptStage;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.protocol.oneshot.OneMessageProtocol;
import dev.starling.tensor.FlatBuffer;
import dev.starling.tensor.FlatLayout;
import dev.starling.tensor.TensorView;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

/**
 * Stage recovery over the network: a peer assigned to a stage that lost all its peers fetches what its neighbours
 * serve on {@link #PROTOCOL} (one message per stream, served by every {@link StageServer} from a snapshot taken after
 * each optimizer step) and initialises the stage by its {@link RecoveryPlan}: CheckFree's gradient-norm-weighted
 * average of the two neighbours' blocks; for an end stage a copy of the neighbour's blocks plus the end layers (from
 * the copy the neighbour keeps under CheckFree+, else the tied {@code wte} from the other end and a fresh
 * initialisation of {@code wpe} / {@code ln_f}); under redundant computation the replica the previous stage keeps.
 *
 * <p>Message, little-endian: gradient norm (float64), stage (int32), count (int32) and the stage's parameters (count
 * float32, in {@link GptStage}'s layout), then kept count (int32) and the kept copy (kept count float32: a neighbour's
 * whole parameters under redundant computation, an end stage's end layers under CheckFree+, or none). Sizes are
 * checked against what the fetcher expects, and values for NaN/Inf, before use.
 *
 * <p>Stateless; the futures complete on the streams' owner threads.
 */
public final class StageRejoin {
    /** The protocol id. */
    public static final String PROTOCOL = "/starling/stage-weights/2.0.0";
    /**
     * The same message with only the stage's end layers (the tensors outside its blocks, in layout order) as
     * parameters and no kept copy: what a CheckFree+ neighbour refreshes its copy from.
     */
    public static final String ENDS_PROTOCOL = "/starling/stage-ends/1.0.0";

    private StageRejoin() {
    }

    /**
     * What a stage peer serves.
     *
     * @param gradNorm its last gradient norm
     * @param stage    the stage it serves
     * @param params   its parameters
     * @param kept     its copy of a neighbour stage's parameters (empty when it keeps none)
     */
    record Snapshot(double gradNorm, int stage, float[] params, float[] kept) {
    }

    /**
     * The message a stage peer serves (call on the thread that owns the worker).
     *
     * @param worker the stage
     * @param kept   the copy of a neighbour it keeps, or an empty array
     * @return the bytes
     */
    static byte[] encode(StageWorker worker, float[] kept) {
        return encode(worker, worker.stage().parameters().data(), kept);
    }

    /**
     * The message of {@link #ENDS_PROTOCOL} (call on the thread that owns the worker).
     *
     * @param worker the stage
     * @return the bytes
     */
    static byte[] encodeEnds(StageWorker worker) {
        return encode(worker, ends(worker.stage().parameters().layout(), worker.stage().parameters().data()),
                new float[0]);
    }

    private static byte[] encode(StageWorker worker, float[] p, float[] kept) {
        int n = p.length;
        ByteBuffer b = ByteBuffer.allocate(20 + 4 * n + 4 * kept.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putDouble(worker.lastGradNorm()).putInt(worker.stage().index()).putInt(n);
        b.asFloatBuffer().put(p, 0, n);
        b.position(16 + 4 * n);
        b.putInt(kept.length);
        b.asFloatBuffer().put(kept);
        return b.array();
    }

    /**
     * Decodes a snapshot.
     *
     * @param keptCount the kept copy's exact size, or -1 for any size up to {@code maxKept} (ignored by the caller)
     */
    static Snapshot decode(byte[] bytes, int stage, int count, int keptCount, int maxKept) {
        long expected = 20 + 4L * count + 4L * Math.max(keptCount, 0);
        if (keptCount >= 0 ? bytes.length != expected : bytes.length < expected || bytes.length > expected
                + 4L * maxKept || (bytes.length - expected) % 4 != 0) {
            throw PipelineException.badInput("stage weights of " + bytes.length + " bytes, expected " + expected
                    + (keptCount >= 0 ? "" : " plus at most " + maxKept + " kept floats"));
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        double norm = b.getDouble();
        int from = b.getInt();
        if (from != stage || b.getInt() != count) {
            throw PipelineException.badInput("stage weights of stage " + from + " where stage " + stage + " with "
                    + count + " values was expected");
        }
        float[] params = floats(b, count);
        int kept = b.getInt();
        if (kept != (keptCount >= 0 ? keptCount : (bytes.length - expected) / 4)) {
            throw PipelineException.badInput("stage weights announce a kept copy of " + kept + " values");
        }
        return new Snapshot(norm, stage, params, floats(b, kept));
    }

    private static float[] floats(ByteBuffer b, int n) {
        float[] out = new float[n];
        b.asFloatBuffer().get(out);
        b.position(b.position() + 4 * n);
        for (float v : out) {
            if (!Float.isFinite(v)) {
                throw PipelineException.badInput("stage weights hold " + v);
            }
        }
        return out;
    }

    /**
     * Fetches a neighbour's snapshot, checking it serves the expected stage and keeps the expected copy.
     *
     * @param host      this peer's host
     * @param peer      the neighbour
     * @param layout    the neighbour stage's layout
     * @param stage     the neighbour's stage
     * @param keptCount floats of the copy it must keep, or -1 when the copy is not needed (any size up to the
     *                  largest stage of the model is accepted)
     * @return the snapshot; fails with PipelineException on bad bytes or P2pException
     */
    static CompletableFuture<Snapshot> fetch(Host host, PeerId peer, FlatLayout layout, int stage, int keptCount,
                                             int maxKept) {
        int count = layout.size();
        int maxBytes = 20 + 4 * count + 4 * (keptCount >= 0 ? keptCount : maxKept);
        return OneMessageProtocol.fetch(host, peer, PROTOCOL, maxBytes)
                .thenApply(bytes -> decode(bytes, stage, count, keptCount, maxKept));
    }

    /**
     * Fetches a stage's end layers ({@link #ENDS_PROTOCOL}).
     *
     * @param host   this peer's host
     * @param peer   the peer serving the stage
     * @param layout that stage's layout
     * @param stage  the stage
     * @return its end layers in layout order; fails with PipelineException on bad bytes or P2pException
     */
    static CompletableFuture<float[]> fetchEnds(Host host, PeerId peer, FlatLayout layout, int stage) {
        int count = endsSize(layout);
        return OneMessageProtocol.fetch(host, peer, ENDS_PROTOCOL, 20 + 4 * count)
                .thenApply(bytes -> decode(bytes, stage, count, 0, 0).params());
    }

    /** Floats outside the blocks of a stage layout. */
    static int endsSize(FlatLayout layout) {
        int n = 0;
        for (TensorView v : layout.views()) {
            n += v.name().startsWith("h.") ? 0 : v.size();
        }
        return n;
    }

    /** The tensors outside the blocks, concatenated in layout order. */
    static float[] ends(FlatLayout layout, float[] params) {
        float[] out = new float[endsSize(layout)];
        int at = 0;
        for (TensorView v : layout.views()) {
            if (!v.name().startsWith("h.")) {
                System.arraycopy(params, v.offset(), out, at, v.size());
                at += v.size();
            }
        }
        return out;
    }

    /** The largest stage of the model, in floats: the cap on a kept copy nobody asked for. */
    static int largestStage(dev.starling.model.GptConfig config, int stages) {
        int max = 0;
        for (int k = 0; k < stages; k++) {
            max = Math.max(max, GptStage.layout(config, k, stages).size());
        }
        return max;
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
        RecoveryPlan plan = RecoveryPlan.of(dev.starling.fault.checkfree.Strategy.CHECKFREE, target.index(),
                target.count());
        return rebuild(host, plan, new PeerId[] {prev, next}, null, null, target, 0);
    }

    /**
     * Initialises a stage that lost all its peers by a recovery plan, from the peers serving the stages the plan
     * reads. The plan's source must be AVERAGE, COPY or REPLICA (a checkpoint is local).
     *
     * @param host       this peer's host
     * @param plan       where the weights come from
     * @param neighbours a peer serving each of {@code plan.neighbours()}, in the same order
     * @param endsFrom   the peer serving {@code plan.endLayersFrom()} (CheckFree+ end copy), or null
     * @param otherEnd   for an end stage without an end copy: the peer serving the other end (its tied {@code wte}),
     *                   or null
     * @param target     the stage to initialise (overwritten; the caller owns it and must not touch it until done)
     * @param seed       seed of the fresh initialisation of what nobody holds
     * @return completes when the stage is written
     */
    @SuppressWarnings("checkstyle:ParameterNumber")
    public static CompletableFuture<Void> rebuild(Host host, RecoveryPlan plan, PeerId[] neighbours, PeerId endsFrom,
                                                  PeerId otherEnd, GptStage target, long seed) {
        int count = target.parameters().layout().size();
        int any = largestStage(target.config(), target.count());
        float[] dst = target.parameters().data();
        int[] range = target.blockRange();
        if (plan.source() == RecoveryPlan.Source.REPLICA) {
            int k = plan.neighbours()[0];
            return fetch(host, neighbours[0], layoutOf(target, k), k, count, any).thenAccept(r ->
                    System.arraycopy(r.kept(), 0, dst, 0, count));
        }
        CompletableFuture<Void> blocks;
        if (plan.source() == RecoveryPlan.Source.AVERAGE) {
            int p = plan.neighbours()[0];
            int n = plan.neighbours()[1];
            FlatLayout prev = layoutOf(target, p);
            FlatLayout next = layoutOf(target, n);
            CompletableFuture<Snapshot> second = fetch(host, neighbours[1], next, n, -1, any);
            blocks = fetch(host, neighbours[0], prev, p, -1, any).thenCombine(second,
                    (a, b) -> {
                        CheckFree.average(a.params(), GptStage.blockRange(prev)[0], a.gradNorm(), b.params(),
                                GptStage.blockRange(next)[0], b.gradNorm(), dst, range[0], range[1]);
                        return null;
                    });
        } else if (plan.source() == RecoveryPlan.Source.COPY) {
            int k = plan.neighbours()[0];
            FlatLayout from = layoutOf(target, k);
            int kept = endsFrom != null && endsFrom.equals(neighbours[0]) ? endsSize(target.parameters().layout()) : -1;
            blocks = fetch(host, neighbours[0], from, k, kept, any).thenAccept(r -> {
                System.arraycopy(r.params(), GptStage.blockRange(from)[0], dst, range[0], range[1]);
                if (kept > 0) {
                    copyEnds(r.kept(), target);
                }
            });
        } else {
            throw new IllegalArgumentException(plan.source() + " is not rebuilt over the network");
        }
        if (!(target.isFirst() || target.isLast()) || endsFrom != null) {
            return blocks;
        }
        FlatBuffer params = target.parameters();
        if (otherEnd == null) {
            return blocks.thenRun(() -> StageRecovery.initEnds(params, null, seed));
        }
        int o = target.isFirst() ? target.count() - 1 : 0;
        FlatLayout other = layoutOf(target, o);
        return blocks.thenCompose(v -> fetch(host, otherEnd, other, o, -1, any))
                .thenAccept(r -> StageRecovery.initEnds(params, wteOf(other, r.params()), seed));
    }

    /** A stage of the same model at another index, used only for its layout (sizes, offsets). */
    private static FlatLayout layoutOf(GptStage target, int index) {
        return GptStage.layout(target.config(), index, target.count());
    }

    private static float[] wteOf(FlatLayout layout, float[] params) {
        TensorView v = layout.view("wte");
        return Arrays.copyOfRange(params, v.offset(), v.offset() + v.size());
    }

    /** The end layers (everything outside the blocks) from a neighbour's copy of them ({@link #ends}). */
    private static void copyEnds(float[] copy, GptStage target) {
        float[] p = target.parameters().data();
        int at = 0;
        for (TensorView v : target.parameters().layout().views()) {
            if (!v.name().startsWith("h.")) {
                System.arraycopy(copy, at, p, v.offset(), v.size());
                at += v.size();
            }
        }
    }
}
