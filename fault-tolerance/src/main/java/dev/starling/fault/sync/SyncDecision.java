package dev.starling.fault.sync;

/**
 * Whether a peer must download the run's state before its next round, from the majority-agreed state and its own θ
 * hash. Pure function; any thread.
 */
public enum SyncDecision {
    /** The peer is current: run the round. */
    NONE,
    /** The run has finished a round after the last one this peer finished (it joined, restarted or sat out). */
    CATCH_UP,
    /** The peer finished the last round like the others but holds a θ the majority does not: bit parity is lost. */
    RESYNC;

    /**
     * Decides.
     *
     * @param agreed   the newest majority-agreed state, or null when there is none
     * @param ownRound the last round whose outcome this peer holds (0: the initial state)
     * @param ownHash  this peer's θ hash
     * @return what to do
     */
    public static SyncDecision decide(PublishedStates.Agreed agreed, long ownRound, String ownHash) {
        if (agreed == null) {
            return NONE;
        }
        if (agreed.round() > ownRound) {
            return CATCH_UP;
        }
        return agreed.round() == ownRound && !agreed.thetaHash().equals(ownHash) ? RESYNC : NONE;
    }
}
