package dev.starling.peer.node;

/**
 * Where a CO2 peer's training thread spent its time, summed from the start of its first inner phase to the end of
 * its last round boundary (the final drain, which no finite run can overlap, not included): computing inner steps,
 * and everything between two inner phases, of which part was waiting for the previous round's all-reduce. Immutable.
 *
 * @param boundaries round boundaries passed
 * @param innerNanos inner phases (computing)
 * @param gapNanos   everything between inner phases on the training thread: the wait, taking the update, launching
 *                   the exchange, the one-round-late outer step, the state hash, the listener
 * @param waitNanos  the part of the gaps spent waiting for the previous round's exchange
 * @param waits      boundaries at which that exchange was still not done after the extra inner steps
 * @param innerSteps inner steps taken (H per round, more where the peer trained on instead of waiting)
 */
public record Co2Timing(int boundaries, long innerNanos, long gapNanos, long waitNanos, int waits, long innerSteps) {
    /** Nothing measured yet. */
    public static final Co2Timing NONE = new Co2Timing(0, 0, 0, 0, 0, 0);

    /**
     * The share of the training thread's wall time spent computing.
     *
     * @return inner / (inner + gaps), NaN before the first boundary
     */
    public double utilization() {
        long wall = innerNanos + gapNanos;
        return wall == 0 ? Double.NaN : (double) innerNanos / wall;
    }
}
