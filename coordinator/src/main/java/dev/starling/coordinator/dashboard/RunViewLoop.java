package dev.starling.coordinator.dashboard;

import dev.starling.protocol.telemetry.BadTelemetryException;
import dev.starling.protocol.telemetry.TelemetryCodec;
import dev.starling.protocol.telemetry.TelemetryMessage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The owner thread of a {@link RunView}: gossip handlers and the dashboard's admin actions post
 * work here, and a timer on the same thread re-evaluates liveness once a second. This is the thin
 * I/O shell around the I/O-free view; the clock is injected so tests can drive it.
 */
public final class RunViewLoop implements AdminActions, AutoCloseable {
    private final ScheduledExecutorService owner;
    private final LongSupplier nanoClock;
    private final RunView view;
    private volatile long badMessages;

    /**
     * Starts the owner thread.
     *
     * @param nanoClock     monotonic clock in nanoseconds (normally {@code System::nanoTime})
     * @param livenessNanos how long a peer counts as alive after its last status
     */
    public RunViewLoop(LongSupplier nanoClock, long livenessNanos) {
        this.nanoClock = nanoClock;
        this.owner = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon()
                .name("coordinator-view").unstarted(r));
        this.view = new RunView(nanoClock.getAsLong(), System.currentTimeMillis(), livenessNanos);
        owner.scheduleWithFixedDelay(() -> view.tick(nanoClock.getAsLong()), 1, 1, TimeUnit.SECONDS);
    }

    /**
     * The view; read its snapshots from any thread, mutate it only through this loop.
     *
     * @return the view
     */
    public RunView view() {
        return view;
    }

    /**
     * Hands a gossiped telemetry message to the owner thread. Malformed messages are counted and
     * dropped there.
     *
     * @param bytes    the message as received
     * @param fromPeer the authenticated sender
     */
    public void offer(byte[] bytes, String fromPeer) {
        owner.execute(() -> {
            try {
                TelemetryMessage message = TelemetryCodec.decode(bytes);
                view.accept(message, fromPeer, nanoClock.getAsLong());
            } catch (BadTelemetryException e) {
                badMessages++;
            }
        });
    }

    /**
     * Hands a decoded message to the owner thread (for senders in the same process).
     *
     * @param message  the message
     * @param fromPeer the sender
     */
    public void offer(TelemetryMessage message, String fromPeer) {
        owner.execute(() -> view.accept(message, fromPeer, nanoClock.getAsLong()));
    }

    /**
     * Sets the run id on the owner thread.
     *
     * @param runId the run id
     */
    public void setRunId(String runId) {
        owner.execute(() -> view.setRunId(runId, nanoClock.getAsLong()));
    }

    /**
     * Sets the model's shape (for the stage map) on the owner thread.
     *
     * @param stages pipeline stages
     * @param layers transformer blocks
     */
    public void setShape(int stages, int layers) {
        owner.execute(() -> view.setShape(stages, layers, nanoClock.getAsLong()));
    }

    /**
     * Telemetry messages dropped as malformed so far.
     *
     * @return the count
     */
    public long badMessages() {
        return badMessages;
    }

    @Override
    public void ban(String peerId, String reason) {
        owner.execute(() -> view.ban(peerId, reason, nanoClock.getAsLong()));
    }

    @Override
    public void endRun() {
        owner.execute(() -> view.endRun(nanoClock.getAsLong()));
    }

    /**
     * Runs {@code task} on the owner thread after everything posted before it, and waits.
     *
     * @param task what to run
     * @throws InterruptedException if interrupted while waiting
     */
    public void sync(Runnable task) throws InterruptedException {
        try {
            owner.submit(task).get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("task on the coordinator's owner thread failed", e.getCause());
        }
    }

    /** Stops the owner thread. */
    @Override
    public void close() {
        owner.shutdownNow();
    }
}
