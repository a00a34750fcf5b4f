package dev.starling.fault.checkfree;

/**
 * Where a lost stage's weights come from under a {@link Strategy}. Pure; any thread.
 *
 * @param source       how the blocks are rebuilt
 * @param neighbours   the stages read (one or two; none for a checkpoint)
 * @param endLayersFrom the stage holding a copy of the lost stage's embedding or head, or -1 when it has none (or
 *                     none is needed)
 */
public record RecoveryPlan(Source source, int[] neighbours, int endLayersFrom) {
    /** How the blocks of the lost stage are rebuilt. */
    public enum Source {
        /** Gradient-norm-weighted average of {@code neighbours[0]} and {@code neighbours[1]}. */
        AVERAGE,
        /** Copy of {@code neighbours[0]}. */
        COPY,
        /** The replica {@code neighbours[0]} keeps of this stage. */
        REPLICA,
        /** The last checkpoint, for every stage. */
        CHECKPOINT
    }

    /**
     * The plan for one lost stage.
     *
     * @param strategy the run's strategy
     * @param lost     the stage that lost all its peers
     * @param stages   S, at least 2
     * @return the plan
     * @throws IllegalArgumentException if S is below 2 or the stage is out of range
     */
    public static RecoveryPlan of(Strategy strategy, int lost, int stages) {
        if (stages < 2 || lost < 0 || lost >= stages) {
            throw new IllegalArgumentException("stage " + lost + " of " + stages + " cannot be recovered from "
                    + "neighbours");
        }
        boolean first = lost == 0;
        boolean last = lost == stages - 1;
        int neighbour = first ? 1 : lost - 1;
        int ends = first || last ? (first ? 1 : stages - 2) : -1;
        return switch (strategy) {
            case CHECKPOINT_RESTART -> new RecoveryPlan(Source.CHECKPOINT, new int[0], -1);
            case REDUNDANT -> new RecoveryPlan(Source.REPLICA, new int[] {(lost + stages - 1) % stages}, -1);
            case CHECKFREE -> first || last
                    ? new RecoveryPlan(Source.COPY, new int[] {neighbour}, -1)
                    : new RecoveryPlan(Source.AVERAGE, new int[] {lost - 1, lost + 1}, -1);
            case CHECKFREE_PLUS -> first || last
                    ? new RecoveryPlan(Source.COPY, new int[] {first ? 1 : stages - 2}, ends)
                    : new RecoveryPlan(Source.AVERAGE, new int[] {lost - 1, lost + 1}, -1);
        };
    }
}
