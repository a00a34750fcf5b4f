package dev.starling.p2p.pubsub;

import java.time.Duration;

/**
 * Per-topic score parameters P1 to P4 (gossipsub-v1.1.md, "Topic Parameter Calculation"). Weights of P3, P3b and P4
 * must be negative or zero, the others positive or zero. Decays are applied once per decay interval.
 *
 * @param topicWeight                      weight of this topic's contribution
 * @param timeInMeshWeight                 P1 weight
 * @param timeInMeshQuantum                P1 unit of time
 * @param timeInMeshCap                    P1 cap
 * @param firstMessageDeliveriesWeight     P2 weight
 * @param firstMessageDeliveriesDecay      P2 decay
 * @param firstMessageDeliveriesCap        P2 counter cap
 * @param meshMessageDeliveriesWeight      P3 weight (negative)
 * @param meshMessageDeliveriesDecay       P3 decay
 * @param meshMessageDeliveriesCap         P3 counter cap
 * @param meshMessageDeliveriesThreshold   P3 threshold below which the deficit is penalised
 * @param meshMessageDeliveriesWindow      window after first delivery in which a mesh duplicate still counts
 * @param meshMessageDeliveriesActivation  time in mesh before P3 applies
 * @param meshFailurePenaltyWeight         P3b weight (negative)
 * @param meshFailurePenaltyDecay          P3b decay
 * @param invalidMessageDeliveriesWeight   P4 weight (negative)
 * @param invalidMessageDeliveriesDecay    P4 decay
 */
public record TopicScoreParams(double topicWeight, double timeInMeshWeight, Duration timeInMeshQuantum,
                               double timeInMeshCap, double firstMessageDeliveriesWeight,
                               double firstMessageDeliveriesDecay, double firstMessageDeliveriesCap,
                               double meshMessageDeliveriesWeight, double meshMessageDeliveriesDecay,
                               double meshMessageDeliveriesCap, double meshMessageDeliveriesThreshold,
                               Duration meshMessageDeliveriesWindow, Duration meshMessageDeliveriesActivation,
                               double meshFailurePenaltyWeight, double meshFailurePenaltyDecay,
                               double invalidMessageDeliveriesWeight, double invalidMessageDeliveriesDecay) {

    /** Checks the signs and ranges. */
    public TopicScoreParams {
        check(topicWeight >= 0, "topic weight must be >= 0");
        check(timeInMeshWeight >= 0 && timeInMeshCap >= 0, "P1 weight and cap must be >= 0");
        check(timeInMeshQuantum != null && !timeInMeshQuantum.isZero() && !timeInMeshQuantum.isNegative(),
                "P1 quantum must be positive");
        check(firstMessageDeliveriesWeight >= 0, "P2 weight must be >= 0");
        check(meshMessageDeliveriesWeight <= 0, "P3 weight must be <= 0, got " + meshMessageDeliveriesWeight);
        check(meshFailurePenaltyWeight <= 0, "P3b weight must be <= 0, got " + meshFailurePenaltyWeight);
        check(invalidMessageDeliveriesWeight <= 0, "P4 weight must be <= 0, got " + invalidMessageDeliveriesWeight);
        for (double decay : new double[] {firstMessageDeliveriesDecay, meshMessageDeliveriesDecay,
                                          meshFailurePenaltyDecay, invalidMessageDeliveriesDecay}) {
            check(decay > 0 && decay < 1, "decays must be in (0,1), got " + decay);
        }
    }

    /**
     * Reasonable defaults for a topic with about one message a second: P1 up to 10, P2 up to 10, P3 off (weight 0:
     * with unknown traffic the threshold cannot be calibrated), P3b off, P4 strongly negative.
     *
     * @return the defaults
     */
    public static TopicScoreParams defaults() {
        return new TopicScoreParams(1.0, 0.01, Duration.ofSeconds(1), 1000, 1.0, 0.5, 10,
                0, 0.5, 10, 1, Duration.ofMillis(10), Duration.ofSeconds(5), 0, 0.5, -100, 0.3);
    }

    /**
     * Returns a copy with P3 (mesh delivery deficit) and P3b switched on.
     *
     * @param weight    P3 weight (negative)
     * @param threshold P3 threshold
     * @param activation time in mesh before P3 counts
     * @param window     how late after the first delivery a mesh peer's copy still counts
     * @return the copy
     */
    public TopicScoreParams withMeshDeliveries(double weight, double threshold, Duration activation,
                                               Duration window) {
        return new TopicScoreParams(topicWeight, timeInMeshWeight, timeInMeshQuantum, timeInMeshCap,
                firstMessageDeliveriesWeight, firstMessageDeliveriesDecay, firstMessageDeliveriesCap, weight,
                meshMessageDeliveriesDecay, meshMessageDeliveriesCap, threshold, window,
                activation, weight, meshFailurePenaltyDecay, invalidMessageDeliveriesWeight,
                invalidMessageDeliveriesDecay);
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException("topic score params: " + message);
        }
    }
}
