package dev.starling.p2p.pubsub;

import java.time.Duration;
import java.util.Map;

/**
 * Peer score parameters and thresholds (gossipsub-v1.1.md, "Peer Scoring"). P5 (application score) comes from a
 * hook, P6 (IP colocation) is not computed here because the router core does not see addresses.
 *
 * @param topics                      per-topic parameters; topics absent here contribute nothing
 * @param topicScoreCap               cap on the summed topic contribution (0: none)
 * @param appSpecificWeight           P5 weight
 * @param behaviourPenaltyWeight      P7 weight (negative)
 * @param behaviourPenaltyThreshold   P7 counter level above which the excess is squared
 * @param behaviourPenaltyDecay       P7 decay
 * @param decayInterval               how often counters decay
 * @param decayToZero                 counters below this become 0
 * @param retainScore                 how long a disconnected peer's score is remembered
 * @param gossipThreshold             below it: no gossip to or from the peer
 * @param publishThreshold            below it: no flood publishing to the peer
 * @param graylistThreshold           below it: every RPC from the peer is ignored
 * @param acceptPxThreshold           at or above it: peer exchange from the peer is used
 * @param opportunisticGraftThreshold median mesh score below which the heartbeat grafts better peers
 */
public record PeerScoreParams(Map<String, TopicScoreParams> topics, double topicScoreCap,
                              double appSpecificWeight, double behaviourPenaltyWeight,
                              double behaviourPenaltyThreshold, double behaviourPenaltyDecay,
                              Duration decayInterval, double decayToZero, Duration retainScore,
                              double gossipThreshold, double publishThreshold, double graylistThreshold,
                              double acceptPxThreshold, double opportunisticGraftThreshold) {

    /** Checks thresholds and signs. */
    public PeerScoreParams {
        topics = Map.copyOf(topics);
        if (behaviourPenaltyWeight > 0) {
            throw new IllegalArgumentException("P7 weight must be <= 0, got " + behaviourPenaltyWeight);
        }
        if (behaviourPenaltyDecay <= 0 || behaviourPenaltyDecay >= 1) {
            throw new IllegalArgumentException("P7 decay must be in (0,1), got " + behaviourPenaltyDecay);
        }
        if (!(gossipThreshold <= 0 && publishThreshold <= gossipThreshold && graylistThreshold <= publishThreshold)) {
            throw new IllegalArgumentException("thresholds must satisfy 0 >= gossip >= publish >= graylist, got "
                    + gossipThreshold + ", " + publishThreshold + ", " + graylistThreshold);
        }
        if (acceptPxThreshold < 0 || opportunisticGraftThreshold < 0) {
            throw new IllegalArgumentException("accept-PX and opportunistic-graft thresholds must be >= 0");
        }
    }

    /**
     * Defaults with the given topic parameters: thresholds -10/-50/-80, accept PX at 10, opportunistic graft at 5,
     * P7 weight -10 above 6 penalties, decay 0.9 per second, scores kept for 10 minutes.
     *
     * @param topics per-topic parameters
     * @return the parameters
     */
    public static PeerScoreParams defaults(Map<String, TopicScoreParams> topics) {
        return new PeerScoreParams(topics, 0, 1, -10, 6, 0.9, Duration.ofSeconds(1), 0.01,
                Duration.ofMinutes(10), -10, -50, -80, 10, 5);
    }
}
