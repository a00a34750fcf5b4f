package dev.starling.training.pipeline;

import dev.starling.collectives.aggregate.Mean;
import dev.starling.collectives.butterfly.ButterflyConfig;
import dev.starling.collectives.butterfly.ButterflyMember;
import dev.starling.collectives.butterfly.PartSplit;
import dev.starling.collectives.codec.Fp32Codec;
import dev.starling.collectives.mesh.MeshButterfly;
import dev.starling.p2p.core.PeerId;
import io.netty.util.concurrent.EventExecutor;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * Keeps the peers of one stage pool in agreement: every so often they average their stage's parameters with the
 * butterfly all-reduce over p2p streams that the data-parallel runs use ({@link MeshButterfly}, mean aggregator,
 * fp32). This is DiLoCo's outer step with outer learning rate 1 and no momentum, that is, plain model averaging; a
 * round that loses a part (a member vanished) leaves the local weights as they were.
 *
 * <p>Threads: the butterfly runs on the given owner executor; the parameters are read and written on the
 * {@link StageServer}'s compute thread, between micro-batches.
 */
public final class StagePoolAveraging implements AutoCloseable {
    private final StageServer server;
    private final MeshButterfly mesh;
    private final LongSupplier clock;

    /**
     * Registers the butterfly protocol on the server's host.
     *
     * @param server the stage peer
     * @param owner  the butterfly's owner executor (the caller's)
     * @param clock  monotonic nanoseconds
     */
    public StagePoolAveraging(StageServer server, EventExecutor owner, LongSupplier clock) {
        this.server = server;
        this.clock = clock;
        this.mesh = new MeshButterfly(server.host(), owner, clock, 4 << 20);
    }

    /**
     * One averaging round among the stage's peers; every member calls it with the same round and roster.
     *
     * @param round          the round number
     * @param roster         the stage's peers, same order everywhere
     * @param timeoutNanos   how long the round may take
     * @return completes with true when the average was applied, false when a part was missing
     */
    public CompletableFuture<Boolean> average(long round, List<PeerId> roster, long timeoutNanos) {
        int self = roster.indexOf(server.host().peerId());
        if (self < 0) {
            throw new IllegalArgumentException("this peer is not in the stage roster " + roster);
        }
        return server.onCompute(w -> w.stage().parameters().data().clone()).thenCompose(params -> {
            long deadline = clock.getAsLong() + timeoutNanos;
            List<String> names = roster.stream().map(PeerId::toBase58).toList();
            ButterflyMember member = new ButterflyMember(new ButterflyConfig(names, self, params.length,
                    PartSplit.even(), Fp32Codec.INSTANCE, Fp32Codec.INSTANCE, new Mean(), null, null, 0x5747L, round,
                    deadline, deadline + timeoutNanos / 2), null);
            return mesh.run(round, roster, member, params);
        }).thenCompose(result -> {
            if (!result.missingParts().isEmpty()) {
                return CompletableFuture.completedFuture(false);
            }
            return server.onCompute(w -> {
                float[] p = w.stage().parameters().data();
                System.arraycopy(result.aggregate(), 0, p, 0, p.length);
                return true;
            });
        });
    }

    /** Unregisters the butterfly protocol. */
    @Override
    public void close() {
        mesh.close();
    }
}
