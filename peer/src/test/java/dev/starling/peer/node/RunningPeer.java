package dev.starling.peer.node;

import dev.starling.model.data.TokenDataset;
import dev.starling.tensor.cpu.ParallelFor;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * For tests: one joined peer training DiLoCo rounds over the mesh on its own thread until stopped, publishing
 * telemetry like {@code starling peer}. {@link #stop()} asks it to finish its current phase and waits; {@link #close()}
 * then leaves the mesh.
 */
public final class RunningPeer implements AutoCloseable {
    private final PeerNode node;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicLong rounds = new AtomicLong();
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private boolean closed;

    /**
     * Starts training.
     *
     * @param node  the joined node (closed by {@link #close()})
     * @param data  the run's dataset
     * @param shard the peer's data shard
     */
    public RunningPeer(PeerNode node, TokenDataset data, int shard) {
        this.node = node;
        Thread.ofPlatform().daemon().name("test-peer-" + shard).start(() -> {
            try (ParallelFor pool = new ParallelFor(1); MeshDiloco diloco = new MeshDiloco(node, data, pool, shard)) {
                RoundTelemetry telemetry = new RoundTelemetry(node, 1);
                diloco.run(0, stop::get, outcome -> {
                    telemetry.publish(outcome);
                    if (outcome.groupSize() > 0) {
                        rounds.incrementAndGet();
                    }
                });
                done.complete(null);
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        });
    }

    /**
     * The node.
     *
     * @return the node
     */
    public PeerNode node() {
        return node;
    }

    /**
     * Rounds this peer completed in a group so far.
     *
     * @return the count
     */
    public long rounds() {
        return rounds.get();
    }

    /**
     * Asks the peer to stop after its current phase and waits for it.
     *
     * @throws Exception if training failed or did not stop within two minutes
     */
    public void stop() throws Exception {
        stop.set(true);
        done.get(120, TimeUnit.SECONDS);
    }

    /** Stops training (waiting for it) and leaves the mesh; idempotent. */
    @Override
    public void close() throws Exception {
        if (!closed) {
            closed = true;
            try {
                stop();
            } finally {
                node.close();
            }
        }
    }
}
