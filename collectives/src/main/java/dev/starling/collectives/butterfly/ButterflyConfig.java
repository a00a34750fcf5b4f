package dev.starling.collectives.butterfly;

import dev.starling.collectives.CollectivesException;
import dev.starling.collectives.aggregate.Aggregator;
import dev.starling.collectives.codec.UpdateChunks;
import dev.starling.collectives.codec.UpdateCodec;
import java.util.HashSet;
import java.util.List;

/**
 * One member's view of one butterfly round, checked once at construction (STYLE rule 8).
 *
 * @param roster               member ids in the order the group's signed roster gives; member i reduces part i
 * @param self                 this member's index in the roster
 * @param vectorLength         elements in the full update vector
 * @param split                how the vector is cut into parts
 * @param contributionCodec    codec for contributions (reduce-scatter)
 * @param aggregateCodec       codec for aggregated parts (all-gather); FP32 keeps the aggregate exact
 * @param aggregator           robust rule each reducer applies to its part
 * @param weights              per-member weights (samples processed), or {@code null} for equal weights
 * @param previousAggregate    last round's aggregate of the full vector, a warm start for iterative aggregators, or
 *                             {@code null}
 * @param runIdHash            run id hash every chunk must carry
 * @param round                round every chunk must carry
 * @param reduceDeadlineNanos  when a reducer stops waiting for contributions
 * @param gatherDeadlineNanos  when a member stops waiting for aggregated parts
 */
public record ButterflyConfig(List<String> roster, int self, int vectorLength, PartSplit split,
                              UpdateCodec contributionCodec, UpdateCodec aggregateCodec, Aggregator aggregator,
                              double[] weights, float[] previousAggregate, long runIdHash, long round,
                              long reduceDeadlineNanos, long gatherDeadlineNanos) {

    /** Largest group this schedule accepts. */
    public static final int MAX_GROUP_SIZE = 1024;

    /** Checks every field; throws {@link CollectivesException} INTERNAL naming the bad value. */
    public ButterflyConfig {
        roster = List.copyOf(roster);
        if (roster.isEmpty() || roster.size() > MAX_GROUP_SIZE || new HashSet<>(roster).size() != roster.size()) {
            throw CollectivesException.internal("roster must hold 1.." + MAX_GROUP_SIZE + " distinct ids, got "
                + roster);
        }
        if (self < 0 || self >= roster.size()) {
            throw CollectivesException.internal("self index " + self + " outside roster of " + roster.size());
        }
        if (vectorLength < 0 || split == null || contributionCodec == null || aggregateCodec == null
            || aggregator == null) {
            throw CollectivesException.internal("vectorLength " + vectorLength + " or a null split/codec/aggregator");
        }
        for (int p = 0; p < roster.size(); p++) {
            if (split.length(p, roster.size(), vectorLength) > UpdateChunks.DEFAULT_MAX_ELEMENTS) {
                throw CollectivesException.internal("part " + p + " exceeds the chunk cap of "
                    + UpdateChunks.DEFAULT_MAX_ELEMENTS + " elements; use a larger group or chunk the vector");
            }
        }
        if (weights != null && weights.length != roster.size()) {
            throw CollectivesException.internal(weights.length + " weights for a roster of " + roster.size());
        }
        if (previousAggregate != null && previousAggregate.length != vectorLength) {
            throw CollectivesException.internal("previous aggregate of " + previousAggregate.length
                + " elements for a vector of " + vectorLength);
        }
        if (gatherDeadlineNanos - reduceDeadlineNanos < 0) {
            throw CollectivesException.internal("gather deadline " + gatherDeadlineNanos
                + " before reduce deadline " + reduceDeadlineNanos);
        }
    }

    /** @return the group size */
    public int groupSize() {
        return roster.size();
    }

    /**
     * @param part part index
     * @return the first element of the part
     */
    public int partOffset(final int part) {
        return split.offset(part, roster.size(), vectorLength);
    }

    /**
     * @param part part index
     * @return the part's length
     */
    public int partLength(final int part) {
        return split.length(part, roster.size(), vectorLength);
    }
}
