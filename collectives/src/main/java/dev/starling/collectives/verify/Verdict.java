package dev.starling.collectives.verify;

import java.util.List;

/**
 * The outcome of checking one reduced part. Accusations are results, not exceptions (STYLE rule 7): the caller
 * (membership / ban logic) decides what to do with them.
 */
public sealed interface Verdict {

    /**
     * The part satisfies the check.
     *
     * @param residual largest |Σ w_i s_i| over the projections
     * @param bound    the tolerance it was held to
     */
    record Passed(double residual, double bound) implements Verdict {
    }

    /**
     * The published projections do not sum to zero; the contributions must be revealed to find out who lied.
     *
     * @param residual largest |Σ w_i s_i| over the projections
     * @param bound    the tolerance it broke
     */
    record NeedsAdjudication(double residual, double bound) implements Verdict {
    }

    /**
     * The reducer's aggregate is not a CenteredClip fixed point of the contributions it received: the part must be
     * re-reduced by another member and the reducer is accused.
     *
     * @param reducer  the reducer's roster index
     * @param residual largest |Σ w_i s_i| recomputed from the revealed contributions
     * @param bound    the tolerance it broke
     */
    record ReducerAccused(int reducer, double residual, double bound) implements Verdict {
    }

    /**
     * Members published projections that disagree with their own revealed contributions; with their values
     * corrected the part passes, so the reducer is honest.
     *
     * @param members roster indices of the members who lied
     */
    record MembersAccused(List<Integer> members) implements Verdict {
    }
}
