package dev.starling.p2p.pubsub;

import java.time.Duration;

/**
 * Gossipsub v1.1 router parameters (names follow gossipsub-v1.0.md and v1.1.md). Checked once, in the constructor.
 *
 * @param d                    desired mesh degree D
 * @param dLo                  lower bound D_lo: below it the heartbeat grafts
 * @param dHi                  upper bound D_hi: above it the heartbeat prunes down to D
 * @param dLazy                minimum number of peers to gossip IHAVE to per topic
 * @param dScore               peers kept by score when pruning an oversubscribed mesh
 * @param dOut                 outbound connections kept in the mesh (must be below D_lo and at most D/2)
 * @param heartbeatInterval    time between heartbeats (the owner calls {@code heartbeat} at this rate)
 * @param fanoutTtl            how long a fanout topic lives after the last publish
 * @param mcacheLen            message-cache history windows
 * @param mcacheGossip         windows whose ids are gossiped in IHAVE
 * @param seenTtl              how long a message id stays in the seen cache
 * @param pruneBackoff         backoff we ask for (and apply) on PRUNE
 * @param unsubscribeBackoff   backoff after leaving a topic
 * @param gossipFactor         share of eligible non-mesh peers to gossip to (at least dLazy)
 * @param floodPublish         send own messages to every topic peer above the publish threshold
 * @param maxIHaveLength       most message ids accepted in IHAVE from one peer per heartbeat
 * @param maxIHaveMessages     most IHAVE messages accepted from one peer per heartbeat
 * @param iwantFollowupTime    how long a peer has to answer our IWANT before its promise counts as broken
 * @param gossipRetransmission most times one message is sent to one peer in answer to IWANT
 * @param prunePeers           peers offered in peer exchange
 * @param opportunisticGraftTicks heartbeats between opportunistic grafts
 * @param opportunisticGraftPeers peers grafted opportunistically
 * @param graftFloodThreshold  a GRAFT this soon after our PRUNE earns an extra behaviour penalty
 * @param maxMessageSize       largest published message payload (bytes)
 */
public record GossipsubConfig(int d, int dLo, int dHi, int dLazy, int dScore, int dOut,
                              Duration heartbeatInterval, Duration fanoutTtl, int mcacheLen, int mcacheGossip,
                              Duration seenTtl, Duration pruneBackoff, Duration unsubscribeBackoff,
                              double gossipFactor, boolean floodPublish, int maxIHaveLength, int maxIHaveMessages,
                              Duration iwantFollowupTime, int gossipRetransmission, int prunePeers,
                              int opportunisticGraftTicks, int opportunisticGraftPeers, Duration graftFloodThreshold,
                              int maxMessageSize) {

    /** Validates the combination; messages name the values. */
    public GossipsubConfig {
        require(d > 0, "D must be positive, got " + d);
        require(dLo > 0 && dLo <= d, "D_lo must be in [1, D], got D_lo=" + dLo + " D=" + d);
        require(dHi >= d, "D_hi must be >= D, got D_hi=" + dHi + " D=" + d);
        require(dLazy >= 0, "D_lazy must be >= 0, got " + dLazy);
        require(dScore >= 0 && dScore <= d, "D_score must be in [0, D], got " + dScore);
        require(dOut >= 0 && dOut < dLo && dOut <= d / 2,
                "D_out must be < D_lo and <= D/2, got D_out=" + dOut + " D_lo=" + dLo + " D=" + d);
        require(mcacheGossip > 0 && mcacheGossip <= mcacheLen,
                "mcache_gossip must be in [1, mcache_len], got " + mcacheGossip + " / " + mcacheLen);
        require(positive(heartbeatInterval), "heartbeat interval must be positive");
        require(positive(fanoutTtl) && positive(seenTtl), "fanout and seen TTLs must be positive");
        require(positive(pruneBackoff) && positive(unsubscribeBackoff), "backoffs must be positive");
        require(gossipFactor >= 0 && gossipFactor <= 1, "gossip factor must be in [0,1], got " + gossipFactor);
        require(maxIHaveLength > 0 && maxIHaveMessages > 0, "IHAVE limits must be positive");
        require(gossipRetransmission > 0, "gossip retransmission must be positive");
        require(prunePeers >= 0 && opportunisticGraftPeers >= 0 && opportunisticGraftTicks > 0,
                "peer exchange and opportunistic graft counts must be >= 0");
        require(maxMessageSize > 0, "max message size must be positive");
    }

    /**
     * The spec defaults: D=6, D_lo=4, D_hi=12, D_lazy=6, heartbeat 1 s, fanout TTL 60 s, mcache 5/3, seen TTL 2 min,
     * prune backoff 60 s, unsubscribe backoff 10 s, gossip factor 0.25, flood publish on, D_score 4, D_out 2.
     *
     * @return the defaults
     */
    public static GossipsubConfig defaults() {
        return new GossipsubConfig(6, 4, 12, 6, 4, 2, Duration.ofSeconds(1), Duration.ofSeconds(60), 5, 3,
                Duration.ofMinutes(2), Duration.ofSeconds(60), Duration.ofSeconds(10), 0.25, true, 5000, 10,
                Duration.ofSeconds(3), 3, 16, 60, 2, Duration.ofSeconds(10), 1 << 20);
    }

    /**
     * Returns a copy with other mesh degrees (D_score and D_out clamped to stay valid).
     *
     * @param newD   D
     * @param newDLo D_lo
     * @param newDHi D_hi
     * @param newDLazy D_lazy
     * @return the copy
     */
    public GossipsubConfig withDegrees(int newD, int newDLo, int newDHi, int newDLazy) {
        int out = Math.min(dOut, Math.min(newDLo - 1, newD / 2));
        return new GossipsubConfig(newD, newDLo, newDHi, newDLazy, Math.min(dScore, newD), Math.max(0, out),
                heartbeatInterval, fanoutTtl, mcacheLen, mcacheGossip, seenTtl, pruneBackoff, unsubscribeBackoff,
                gossipFactor, floodPublish, maxIHaveLength, maxIHaveMessages, iwantFollowupTime,
                gossipRetransmission, prunePeers, opportunisticGraftTicks, opportunisticGraftPeers,
                graftFloodThreshold, maxMessageSize);
    }

    /**
     * Returns a copy with flood publishing switched.
     *
     * @param flood whether to flood own messages
     * @return the copy
     */
    public GossipsubConfig withFloodPublish(boolean flood) {
        return new GossipsubConfig(d, dLo, dHi, dLazy, dScore, dOut, heartbeatInterval, fanoutTtl, mcacheLen,
                mcacheGossip, seenTtl, pruneBackoff, unsubscribeBackoff, gossipFactor, flood, maxIHaveLength,
                maxIHaveMessages, iwantFollowupTime, gossipRetransmission, prunePeers, opportunisticGraftTicks,
                opportunisticGraftPeers, graftFloodThreshold, maxMessageSize);
    }

    /**
     * Returns a copy with another heartbeat interval.
     *
     * @param interval the interval
     * @return the copy
     */
    public GossipsubConfig withHeartbeatInterval(Duration interval) {
        return new GossipsubConfig(d, dLo, dHi, dLazy, dScore, dOut, interval, fanoutTtl, mcacheLen,
                mcacheGossip, seenTtl, pruneBackoff, unsubscribeBackoff, gossipFactor, floodPublish, maxIHaveLength,
                maxIHaveMessages, iwantFollowupTime, gossipRetransmission, prunePeers, opportunisticGraftTicks,
                opportunisticGraftPeers, graftFloodThreshold, maxMessageSize);
    }

    private static boolean positive(Duration value) {
        return value != null && !value.isNegative() && !value.isZero();
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException("gossipsub config: " + message);
        }
    }
}
