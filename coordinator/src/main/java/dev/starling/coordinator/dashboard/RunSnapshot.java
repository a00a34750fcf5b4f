package dev.starling.coordinator.dashboard;

import dev.starling.protocol.telemetry.PeerStatus;
import dev.starling.protocol.telemetry.RoundReport;
import dev.starling.protocol.telemetry.RunEvent;
import java.util.List;

/**
 * An immutable picture of the run at one moment, published by {@link RunView} after each change
 * and read by any thread (the dashboard's HTTP and SSE threads).
 *
 * @param version     increases by one with every published change
 * @param runId       the run id, or empty before the manifest is known
 * @param startedAtMs wall-clock milliseconds when the view started (for uptime on the page)
 * @param peers       peers seen, most recently heard first
 * @param rounds      completed outer rounds, oldest first (the newest {@link RunView#MAX_ROUNDS})
 * @param events      timeline, oldest first (the newest {@link RunView#MAX_EVENTS})
 * @param losses      training-loss reports, oldest first (the newest {@link RunView#MAX_LOSS_POINTS})
 * @param ended       whether the run owner ended the run
 * @param stages      pipeline stages in the manifest (1: no pipeline), 0 before the manifest is known
 * @param layers      transformer blocks in the manifest, 0 before it is known
 */
public record RunSnapshot(long version, String runId, long startedAtMs, List<PeerRow> peers,
                          List<RoundReport> rounds, List<TimedEvent> events, List<LossPoint> losses, boolean ended,
                          int stages, int layers) {

    /** Copies the lists so the snapshot stays immutable. */
    public RunSnapshot {
        peers = List.copyOf(peers);
        rounds = List.copyOf(rounds);
        events = List.copyOf(events);
        losses = List.copyOf(losses);
    }

    /**
     * One status report's training loss and traffic (for the loss and per-peer bandwidth charts).
     *
     * @param atS           seconds since the view started
     * @param peerId        the reporting peer
     * @param round         its outer round
     * @param trainLoss     its recent training loss
     * @param bytesSent     bytes it had sent since it started
     * @param bytesReceived bytes it had received since it started
     */
    public record LossPoint(double atS, String peerId, long round, double trainLoss, long bytesSent,
                            long bytesReceived) {
    }

    /**
     * One peer as the dashboard shows it.
     *
     * @param status     its last status message
     * @param firstSeenS seconds since the view started when it was first heard
     * @param lastSeenS  seconds since the view started when it was last heard
     * @param alive      whether it was heard within the liveness window
     * @param banned     whether it is banned
     */
    public record PeerRow(PeerStatus status, double firstSeenS, double lastSeenS, boolean alive, boolean banned) {
    }

    /**
     * An event with the time it was seen.
     *
     * @param atS   seconds since the view started
     * @param event the event
     */
    public record TimedEvent(double atS, RunEvent event) {
    }
}
