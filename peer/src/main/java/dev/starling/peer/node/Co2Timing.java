package dev.starling.peer.node;

/**
 * Where a CO2 peer's training thread spent the time outside its inner phases, summed over a run: how long it waited
 * for the previous round's all-reduce at a round boundary, how long the boundary's own work took (taking the update,
 * launching the exchange, the one-round-late outer step and the state hash), and how long the round leader spent
 * evaluating the validation loss. Immutable.
 *
 * @param rounds        round boundaries counted
 * @param waitNanos     waiting for the previous round's exchange (only when it was slower than the inner phase)
 * @param boundaryNanos the boundary's own work on the training thread, evaluation excluded
 * @param evalNanos     the leader's validation-loss evaluation
 * @param waits         boundaries at which the exchange was not done yet when the inner phase ended
 */
public record Co2Timing(int rounds, long waitNanos, long boundaryNanos, long evalNanos, int waits) {
    /** Nothing measured yet. */
    public static final Co2Timing NONE = new Co2Timing(0, 0, 0, 0, 0);
}
