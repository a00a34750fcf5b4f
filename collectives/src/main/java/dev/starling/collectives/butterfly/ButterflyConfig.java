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
 * @param maxChunkElements     a part is sent as chunks of at most this many elements, so the transport can pipeline
 *                             them and no single chunk is large; 1..{@link UpdateChunks#DEFAULT_MAX_ELEMENTS}
 */
public record ButterflyConfig(List<String> roster, int self, int vectorLength, PartSplit split,
                              UpdateCodec contributionCodec, UpdateCodec aggregateCodec, Aggregator aggregator,
                              double[] weights, float[] previousAggregate, long runIdHash, long round,
                              long reduceDeadlineNanos, long gatherDeadlineNanos, int maxChunkElements) {

    /** Largest group this schedule accepts. */
    public static final int MAX_GROUP_SIZE = 1024;
    /** Default chunk size: 1 Mi elements (4 MiB as fp32, 1 MiB as int8). */
    public static final int DEFAULT_CHUNK_ELEMENTS = 1 << 20;

    /**
     * A configuration with {@link #DEFAULT_CHUNK_ELEMENTS}-element chunks.
     *
     * @param roster              member ids; member i reduces part i
     * @param self                this member's index
     * @param vectorLength        elements in the update vector
     * @param split               part split rule
     * @param contributionCodec   codec for contributions
     * @param aggregateCodec      codec for aggregates
     * @param aggregator          robust rule
     * @param weights             per-member weights or {@code null}
     * @param previousAggregate   warm start or {@code null}
     * @param runIdHash           run id hash
     * @param round               round
     * @param reduceDeadlineNanos reduce deadline
     * @param gatherDeadlineNanos gather deadline
     */
    public ButterflyConfig(final List<String> roster, final int self, final int vectorLength, final PartSplit split,
                           final UpdateCodec contributionCodec, final UpdateCodec aggregateCodec,
                           final Aggregator aggregator, final double[] weights, final float[] previousAggregate,
                           final long runIdHash, final long round, final long reduceDeadlineNanos,
                           final long gatherDeadlineNanos) {
        this(roster, self, vectorLength, split, contributionCodec, aggregateCodec, aggregator, weights,
            previousAggregate, runIdHash, round, reduceDeadlineNanos, gatherDeadlineNanos, DEFAULT_CHUNK_ELEMENTS);
    }

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
        if (maxChunkElements < 1 || maxChunkElements > UpdateChunks.DEFAULT_MAX_ELEMENTS) {
            throw CollectivesException.internal("maxChunkElements must be in [1, " + UpdateChunks.DEFAULT_MAX_ELEMENTS
                + "], was " + maxChunkElements);
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

    /**
     * Chunks a part is sent in; an empty part is still sent as one empty chunk, so receivers see it complete.
     *
     * @param part part index
     * @return the chunk count, at least 1
     */
    public int chunksOf(final int part) {
        return Math.max(1, (int) ((partLength(part) + (long) maxChunkElements - 1) / maxChunkElements));
    }

    /**
     * @param part  part index
     * @param chunk chunk index within the part
     * @return the chunk's length
     */
    public int chunkLength(final int part, final int chunk) {
        return Math.max(0, Math.min(maxChunkElements, partLength(part) - chunk * maxChunkElements));
    }
}
