package dev.starling.p2p.pubsub;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.function.ToDoubleFunction;

/**
 * Gossipsub v1.1 peer scoring, I/O-free with time passed in (gossipsub-v1.1.md, "The Score Function"):
 * per topic P1 time in mesh, P2 first deliveries, P3 mesh delivery deficit, P3b mesh failure penalty, P4 invalid
 * messages; P5 from an application hook; P7 behaviour penalty. P6 (IP colocation) is not computed because the router
 * core does not see addresses. Negative scores of disconnected peers are kept for {@code retainScore}.
 *
 * <p>Owner thread only; not thread-safe.
 */
final class PeerScore {
    private enum Status { PENDING, VALID, INVALID, IGNORED }

    private static final class Delivery {
        private Status status = Status.PENDING;
        private long validatedAtNanos;
        private final Set<PeerKey> peers = new HashSet<>();
    }

    private static final class TopicStats {
        private boolean inMesh;
        private long graftedAtNanos;
        private double firstDeliveries;
        private double meshDeliveries;
        private double meshFailurePenalty;
        private double invalidDeliveries;
    }

    private static final class PeerStats {
        private final Map<String, TopicStats> topics = new HashMap<>();
        private double behaviourPenalty;
        private boolean connected = true;
        private long disconnectedAtNanos;
    }

    private record Expiring(MessageId id, long atNanos) {
    }

    private final PeerScoreParams params;
    private final ToDoubleFunction<PeerKey> appScore;
    private final Map<PeerKey, PeerStats> peers = new HashMap<>();
    private final Map<MessageId, Delivery> deliveries = new HashMap<>();
    private final ArrayDeque<Expiring> deliveryOrder = new ArrayDeque<>();
    private final long deliveryRecordTtlNanos;
    private long lastDecayNanos;
    private boolean decayStarted;

    PeerScore(PeerScoreParams params, ToDoubleFunction<PeerKey> appScore, long deliveryRecordTtlNanos) {
        this.params = params;
        this.appScore = appScore;
        this.deliveryRecordTtlNanos = deliveryRecordTtlNanos;
    }

    PeerScoreParams params() {
        return params;
    }

    void addPeer(PeerKey peer) {
        PeerStats stats = peers.computeIfAbsent(peer, p -> new PeerStats());
        stats.connected = true;
    }

    void removePeer(PeerKey peer, long nowNanos) {
        PeerStats stats = peers.get(peer);
        if (stats == null) {
            return;
        }
        if (score(peer, nowNanos) > 0) {
            peers.remove(peer);
            return;
        }
        for (Map.Entry<String, TopicStats> e : stats.topics.entrySet()) {
            leaveMesh(e.getKey(), e.getValue(), nowNanos);
        }
        stats.connected = false;
        stats.disconnectedAtNanos = nowNanos;
    }

    void graft(PeerKey peer, String topic, long nowNanos) {
        TopicStats ts = topicStats(peer, topic);
        if (ts != null) {
            ts.inMesh = true;
            ts.graftedAtNanos = nowNanos;
            ts.meshDeliveries = 0;
        }
    }

    void prune(PeerKey peer, String topic, long nowNanos) {
        TopicStats ts = topicStats(peer, topic);
        if (ts != null) {
            leaveMesh(topic, ts, nowNanos);
        }
    }

    private void leaveMesh(String topic, TopicStats ts, long nowNanos) {
        if (!ts.inMesh) {
            return;
        }
        TopicScoreParams tp = params.topics().get(topic);
        if (tp != null && meshActive(tp, ts, nowNanos) && ts.meshDeliveries < tp.meshMessageDeliveriesThreshold()) {
            double deficit = tp.meshMessageDeliveriesThreshold() - ts.meshDeliveries;
            ts.meshFailurePenalty += deficit * deficit;
        }
        ts.inMesh = false;
    }

    void addPenalty(PeerKey peer, double count) {
        PeerStats stats = peers.get(peer);
        if (stats != null) {
            stats.behaviourPenalty += count;
        }
    }

    /** A new (not yet seen) message arrived from {@code peer} and is about to be validated. */
    void validateMessage(MessageId id, long nowNanos) {
        if (!deliveries.containsKey(id)) {
            deliveries.put(id, new Delivery());
            deliveryOrder.addLast(new Expiring(id, nowNanos + deliveryRecordTtlNanos));
        }
    }

    /** Validation accepted the message first received from {@code peer}: P2, and P3 for mesh members. */
    void deliverMessage(PeerKey peer, MessageId id, String topic, long nowNanos) {
        Delivery d = deliveries.get(id);
        if (d == null) {
            return;
        }
        d.status = Status.VALID;
        d.validatedAtNanos = nowNanos;
        TopicStats ts = topicStats(peer, topic);
        TopicScoreParams tp = params.topics().get(topic);
        if (ts != null && tp != null) {
            ts.firstDeliveries = Math.min(ts.firstDeliveries + 1, tp.firstMessageDeliveriesCap());
            if (ts.inMesh) {
                ts.meshDeliveries = Math.min(ts.meshDeliveries + 1, tp.meshMessageDeliveriesCap());
            }
        }
        for (PeerKey other : d.peers) {
            markMeshDelivery(other, topic);
        }
        d.peers.clear();
    }

    /** Validation rejected the message (or its signature was bad): P4 for the sender and pending duplicates. */
    void rejectMessage(PeerKey peer, MessageId id, String topic) {
        Delivery d = deliveries.get(id);
        markInvalid(peer, topic);
        if (d != null) {
            d.status = Status.INVALID;
            for (PeerKey other : d.peers) {
                markInvalid(other, topic);
            }
            d.peers.clear();
        }
    }

    /** Validation ignored the message: no penalty, duplicates are not credited either. */
    void ignoreMessage(MessageId id) {
        Delivery d = deliveries.get(id);
        if (d != null) {
            d.status = Status.IGNORED;
            d.peers.clear();
        }
    }

    /** A message we had already seen arrived again from {@code peer}. */
    void duplicateMessage(PeerKey peer, MessageId id, String topic, long nowNanos) {
        Delivery d = deliveries.get(id);
        if (d == null) {
            return;
        }
        switch (d.status) {
            case PENDING -> d.peers.add(peer);
            case VALID -> {
                TopicScoreParams tp = params.topics().get(topic);
                if (tp != null && nowNanos - d.validatedAtNanos <= tp.meshMessageDeliveriesWindow().toNanos()) {
                    markMeshDelivery(peer, topic);
                }
            }
            case INVALID -> markInvalid(peer, topic);
            case IGNORED -> { }
            default -> throw new IllegalStateException();
        }
    }

    private void markMeshDelivery(PeerKey peer, String topic) {
        TopicStats ts = topicStats(peer, topic);
        TopicScoreParams tp = params.topics().get(topic);
        if (ts != null && ts.inMesh) {
            ts.meshDeliveries = Math.min(ts.meshDeliveries + 1, tp.meshMessageDeliveriesCap());
        }
    }

    private void markInvalid(PeerKey peer, String topic) {
        TopicStats ts = topicStats(peer, topic);
        if (ts != null) {
            ts.invalidDeliveries += 1;
        }
    }

    private TopicStats topicStats(PeerKey peer, String topic) {
        PeerStats stats = peers.get(peer);
        if (stats == null || !params.topics().containsKey(topic)) {
            return null;
        }
        return stats.topics.computeIfAbsent(topic, t -> new TopicStats());
    }

    private static boolean meshActive(TopicScoreParams tp, TopicStats ts, long nowNanos) {
        return ts.inMesh && nowNanos - ts.graftedAtNanos >= tp.meshMessageDeliveriesActivation().toNanos();
    }

    /** The peer's score now; 0 for unknown peers. */
    double score(PeerKey peer, long nowNanos) {
        PeerStats stats = peers.get(peer);
        if (stats == null) {
            return 0;
        }
        double topicSum = 0;
        for (Map.Entry<String, TopicStats> e : stats.topics.entrySet()) {
            TopicScoreParams tp = params.topics().get(e.getKey());
            TopicStats ts = e.getValue();
            double s = 0;
            if (ts.inMesh) {
                double quanta = (double) (nowNanos - ts.graftedAtNanos) / tp.timeInMeshQuantum().toNanos();
                s += tp.timeInMeshWeight() * Math.min(quanta, tp.timeInMeshCap());
            }
            s += tp.firstMessageDeliveriesWeight() * ts.firstDeliveries;
            if (meshActive(tp, ts, nowNanos) && ts.meshDeliveries < tp.meshMessageDeliveriesThreshold()) {
                double deficit = tp.meshMessageDeliveriesThreshold() - ts.meshDeliveries;
                s += tp.meshMessageDeliveriesWeight() * deficit * deficit;
            }
            s += tp.meshFailurePenaltyWeight() * ts.meshFailurePenalty;
            s += tp.invalidMessageDeliveriesWeight() * ts.invalidDeliveries * ts.invalidDeliveries;
            topicSum += tp.topicWeight() * s;
        }
        if (params.topicScoreCap() > 0) {
            topicSum = Math.min(topicSum, params.topicScoreCap());
        }
        double score = topicSum + params.appSpecificWeight() * appScore.applyAsDouble(peer);
        double excess = stats.behaviourPenalty - params.behaviourPenaltyThreshold();
        if (excess > 0) {
            score += params.behaviourPenaltyWeight() * excess * excess;
        }
        return score;
    }

    /** Decays counters (once per decay interval), forgets retained peers and old delivery records. */
    void refresh(long nowNanos) {
        if (!decayStarted) {
            decayStarted = true;
            lastDecayNanos = nowNanos;
        }
        long interval = params.decayInterval().toNanos();
        while (nowNanos - lastDecayNanos >= interval) {
            lastDecayNanos += interval;
            decayAll();
        }
        Iterator<Map.Entry<PeerKey, PeerStats>> it = peers.entrySet().iterator();
        while (it.hasNext()) {
            PeerStats stats = it.next().getValue();
            if (!stats.connected && nowNanos - stats.disconnectedAtNanos > params.retainScore().toNanos()) {
                it.remove();
            }
        }
        while (!deliveryOrder.isEmpty() && deliveryOrder.peekFirst().atNanos - nowNanos <= 0) {
            deliveries.remove(deliveryOrder.removeFirst().id);
        }
    }

    private void decayAll() {
        double zero = params.decayToZero();
        for (PeerStats stats : peers.values()) {
            for (Map.Entry<String, TopicStats> e : stats.topics.entrySet()) {
                TopicScoreParams tp = params.topics().get(e.getKey());
                TopicStats ts = e.getValue();
                ts.firstDeliveries = decay(ts.firstDeliveries, tp.firstMessageDeliveriesDecay(), zero);
                ts.meshDeliveries = decay(ts.meshDeliveries, tp.meshMessageDeliveriesDecay(), zero);
                ts.meshFailurePenalty = decay(ts.meshFailurePenalty, tp.meshFailurePenaltyDecay(), zero);
                ts.invalidDeliveries = decay(ts.invalidDeliveries, tp.invalidMessageDeliveriesDecay(), zero);
            }
            stats.behaviourPenalty = decay(stats.behaviourPenalty, params.behaviourPenaltyDecay(), zero);
        }
    }

    private static double decay(double value, double factor, double zero) {
        double v = value * factor;
        return v < zero ? 0 : v;
    }
}
