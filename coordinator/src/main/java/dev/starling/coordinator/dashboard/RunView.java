package dev.starling.coordinator.dashboard;

import dev.starling.protocol.telemetry.PeerStatus;
import dev.starling.protocol.telemetry.RoundReport;
import dev.starling.protocol.telemetry.RunEvent;
import dev.starling.protocol.telemetry.TelemetryMessage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The coordinator's view of the run, folded from telemetry gossip. I/O-free: time is passed in as
 * {@code nowNanos}. Thread model: one owner thread calls {@link #accept}, {@link #ban} and
 * {@link #endRun}; any thread may call {@link #snapshot()} or register a listener, which is called
 * on the owner thread after each change with the new snapshot. Every cap is a constant here, so a
 * flood of peers, rounds or events cannot grow memory without bound.
 */
public final class RunView {
    /** Most peers tracked; status from further new peers is ignored. */
    public static final int MAX_PEERS = 10_000;
    /** Rounds kept for the page and the API. */
    public static final int MAX_ROUNDS = 5_000;
    /** Events kept for the timeline. */
    public static final int MAX_EVENTS = 2_000;
    /** Training-loss points kept for the loss chart. */
    public static final int MAX_LOSS_POINTS = 20_000;

    private final long startNanos;
    private final long startedAtMs;
    private final long livenessNanos;
    private final Map<String, PeerState> peers = new HashMap<>();
    private final ArrayDeque<RoundReport> rounds = new ArrayDeque<>();
    private final ArrayDeque<RunSnapshot.TimedEvent> events = new ArrayDeque<>();
    private final ArrayDeque<RunSnapshot.LossPoint> losses = new ArrayDeque<>();
    private final Set<String> banned = new HashSet<>();
    private final List<Consumer<RunSnapshot>> listeners = new CopyOnWriteArrayList<>();
    private String runId = "";
    private int stages;
    private int layers;
    private boolean ended;
    private long version;
    private volatile RunSnapshot current;

    private static final class PeerState {
        PeerStatus status;
        long firstSeenNanos;
        long lastSeenNanos;
        boolean reportedLost;
    }

    /**
     * Creates an empty view.
     *
     * @param nowNanos      the owner's clock now
     * @param startedAtMs   wall-clock milliseconds now, shown on the page
     * @param livenessNanos how long a peer stays "alive" after its last status
     */
    public RunView(long nowNanos, long startedAtMs, long livenessNanos) {
        if (livenessNanos <= 0) {
            throw new IllegalArgumentException("livenessNanos must be positive, got " + livenessNanos);
        }
        this.startNanos = nowNanos;
        this.startedAtMs = startedAtMs;
        this.livenessNanos = livenessNanos;
        publish(nowNanos);
    }

    /**
     * Records the run id once the manifest is known.
     *
     * @param id       the run id
     * @param nowNanos the owner's clock now
     */
    public void setRunId(String id, long nowNanos) {
        this.runId = id;
        publish(nowNanos);
    }

    /**
     * Records the model's shape once the manifest is known, for the stage map.
     *
     * @param stageCount pipeline stages (1: no pipeline)
     * @param layerCount transformer blocks
     * @param nowNanos   the owner's clock now
     */
    public void setShape(int stageCount, int layerCount, long nowNanos) {
        this.stages = stageCount;
        this.layers = layerCount;
        publish(nowNanos);
    }

    /**
     * Folds one telemetry message into the view.
     *
     * @param message  the decoded message
     * @param fromPeer the gossip sender's peer id, as authenticated by the transport
     * @param nowNanos the owner's clock now
     * @return false if the message was ignored (a peer speaking for another, a banned peer, the peer cap)
     */
    public boolean accept(TelemetryMessage message, String fromPeer, long nowNanos) {
        if (banned.contains(fromPeer)) {
            return false;
        }
        boolean taken = switch (message) {
            case PeerStatus status -> acceptStatus(status, fromPeer, nowNanos);
            case RoundReport round -> acceptRound(round);
            case RunEvent event -> {
                addEvent(event, nowNanos);
                yield true;
            }
        };
        if (taken) {
            publish(nowNanos);
        }
        return taken;
    }

    private boolean acceptStatus(PeerStatus status, String fromPeer, long nowNanos) {
        if (!status.peerId().equals(fromPeer)) {
            return false;
        }
        PeerState state = peers.get(fromPeer);
        if (state == null) {
            if (peers.size() >= MAX_PEERS) {
                return false;
            }
            state = new PeerState();
            state.firstSeenNanos = nowNanos;
            peers.put(fromPeer, state);
            addEvent(new RunEvent(RunEvent.Kind.JOINED, fromPeer, "first status from " + status.device()), nowNanos);
        }
        if (state.reportedLost) {
            addEvent(new RunEvent(RunEvent.Kind.JOINED, fromPeer, "back after a silence"), nowNanos);
        }
        state.status = status;
        state.lastSeenNanos = nowNanos;
        state.reportedLost = false;
        losses.addLast(new RunSnapshot.LossPoint(seconds(nowNanos), fromPeer, status.round(), status.trainLoss(),
                status.bytesSent(), status.bytesReceived()));
        while (losses.size() > MAX_LOSS_POINTS) {
            losses.removeFirst();
        }
        return true;
    }

    private boolean acceptRound(RoundReport round) {
        RoundReport last = rounds.peekLast();
        if (last != null && round.round() <= last.round()) {
            return false;
        }
        rounds.addLast(round);
        while (rounds.size() > MAX_ROUNDS) {
            rounds.removeFirst();
        }
        return true;
    }

    private void addEvent(RunEvent event, long nowNanos) {
        events.addLast(new RunSnapshot.TimedEvent(seconds(nowNanos), event));
        while (events.size() > MAX_EVENTS) {
            events.removeFirst();
        }
    }

    /**
     * Bans a peer by the run owner's order: its telemetry is ignored from now on.
     *
     * @param peerId   the peer
     * @param reason   one line for the timeline
     * @param nowNanos the owner's clock now
     */
    public void ban(String peerId, String reason, long nowNanos) {
        if (banned.add(peerId)) {
            addEvent(new RunEvent(RunEvent.Kind.BANNED, peerId, reason), nowNanos);
            publish(nowNanos);
        }
    }

    /**
     * Marks the run as ended by its owner.
     *
     * @param nowNanos the owner's clock now
     */
    public void endRun(long nowNanos) {
        ended = true;
        publish(nowNanos);
    }

    /**
     * Re-evaluates liveness (call from the owner's timer so peers that went quiet show as lost).
     *
     * @param nowNanos the owner's clock now
     */
    public void tick(long nowNanos) {
        for (Map.Entry<String, PeerState> entry : peers.entrySet()) {
            PeerState state = entry.getValue();
            if (!state.reportedLost && nowNanos - state.lastSeenNanos > livenessNanos) {
                state.reportedLost = true;
                addEvent(new RunEvent(RunEvent.Kind.LEFT, entry.getKey(), "no status for "
                        + Math.round((nowNanos - state.lastSeenNanos) / 1e9) + " s"), nowNanos);
            }
        }
        publish(nowNanos);
    }

    /**
     * The latest snapshot; safe from any thread.
     *
     * @return the snapshot published after the last change
     */
    public RunSnapshot snapshot() {
        return current;
    }

    /**
     * Registers a listener called on the owner thread with every new snapshot.
     *
     * @param listener the listener; must be quick and must not throw
     */
    public void addListener(Consumer<RunSnapshot> listener) {
        listeners.add(listener);
    }

    /**
     * Removes a listener.
     *
     * @param listener a listener given to {@link #addListener}
     */
    public void removeListener(Consumer<RunSnapshot> listener) {
        listeners.remove(listener);
    }

    private double seconds(long nowNanos) {
        return (nowNanos - startNanos) / 1e9;
    }

    private void publish(long nowNanos) {
        List<RunSnapshot.PeerRow> rows = new ArrayList<>(peers.size());
        for (Map.Entry<String, PeerState> entry : peers.entrySet()) {
            PeerState s = entry.getValue();
            rows.add(new RunSnapshot.PeerRow(s.status, seconds(s.firstSeenNanos), seconds(s.lastSeenNanos),
                    nowNanos - s.lastSeenNanos <= livenessNanos, banned.contains(entry.getKey())));
        }
        rows.sort(Comparator.comparingDouble(RunSnapshot.PeerRow::lastSeenS).reversed()
                .thenComparing(r -> r.status().peerId()));
        current = new RunSnapshot(++version, runId, startedAtMs, rows, new ArrayList<>(rounds),
                new ArrayList<>(events), new ArrayList<>(losses), ended, stages, layers);
        for (Consumer<RunSnapshot> listener : listeners) {
            listener.accept(current);
        }
    }
}
