package dev.starling.coordinator.dashboard;

/**
 * What the run owner may do from the dashboard. The implementation hands each action to the
 * coordinator's owner thread; calls come from HTTP threads and must not block for long.
 */
public interface AdminActions {
    /**
     * Bans a peer from the run.
     *
     * @param peerId the peer id
     * @param reason one line for the timeline
     */
    void ban(String peerId, String reason);

    /** Ends the run. */
    void endRun();
}
