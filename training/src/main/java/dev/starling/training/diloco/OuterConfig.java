package dev.starling.training.diloco;

import dev.starling.collectives.aggregate.Aggregator;
import dev.starling.collectives.codec.UpdateCodec;
import dev.starling.optimizer.outer.Co2Config;
import dev.starling.optimizer.outer.OuterNesterovConfig;

/**
 * How the peers of a DiLoCo group synchronise. Immutable; checked once.
 *
 * @param innerSteps        H: local AdamW steps between two outer rounds
 * @param nesterov          the outer optimizer of blocking DiLoCo (DiLoCo: lr 0.7, momentum 0.9)
 * @param co2               CO2 settings, or {@code null} for blocking DiLoCo; with CO2 the all-reduce of round r is
 *                          applied one round late with the staleness penalty and momentum clipping
 * @param contributionCodec codec of each peer's pseudo-gradient (reduce-scatter), with error feedback
 * @param aggregateCodec    codec of each reducer's aggregated part (all-gather)
 * @param aggregator        the rule each reducer applies to its part
 * @param errorFeedback     whether each peer keeps an error-feedback residual for its contributions
 */
public record OuterConfig(int innerSteps, OuterNesterovConfig nesterov, Co2Config co2, UpdateCodec contributionCodec,
                          UpdateCodec aggregateCodec, Aggregator aggregator, boolean errorFeedback) {
    /**
     * Validates the combination.
     *
     * @throws IllegalArgumentException naming the bad value
     */
    public OuterConfig {
        if (innerSteps < 1) {
            throw new IllegalArgumentException("inner steps H must be at least 1, got " + innerSteps);
        }
        if (nesterov == null || contributionCodec == null || aggregateCodec == null || aggregator == null) {
            throw new IllegalArgumentException("outer optimizer, codecs and aggregator must be set");
        }
    }

    /**
     * Whether this is CO2 (one-round-late, overlapped) rather than blocking DiLoCo.
     *
     * @return true with CO2 settings
     */
    public boolean overlapped() {
        return co2 != null;
    }
}
