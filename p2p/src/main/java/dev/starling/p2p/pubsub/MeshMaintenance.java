package dev.starling.p2p.pubsub;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The gossipsub heartbeat over a {@link GossipsubRouter}'s state (gossipsub-v1.0.md "Heartbeat", v1.1.md "Outbound
 * Mesh Quotas", "Opportunistic Grafting"): prune negative-score peers, graft up to D below D_lo, prune down to D
 * above D_hi (keeping D_score best and D_out outbound peers), keep fanout fresh, and emit IHAVE gossip.
 *
 * <p>Owner thread of the router only.
 */
final class MeshMaintenance {
    private final GossipsubRouter r;
    private long ticks;

    MeshMaintenance(GossipsubRouter router) {
        this.r = router;
    }

    void run(long now) {
        ticks++;
        r.checkPromises(now);
        r.ihaveReceived.clear();
        r.iwantAsked.clear();
        for (Map<PeerKey, Long> byPeer : r.backoff.values()) {
            byPeer.values().removeIf(end -> end - now <= 0);
        }
        r.backoff.values().removeIf(Map::isEmpty);
        for (Map.Entry<String, Set<PeerKey>> e : r.mesh.entrySet()) {
            maintainMesh(e.getKey(), e.getValue(), now);
            emitGossip(e.getKey(), e.getValue(), now);
        }
        maintainFanout(now);
    }

    /** Whether we may graft {@code p} into {@code topic} now: a gossipsub peer, out of backoff, score >= 0. */
    boolean graftable(PeerKey p, String topic, long now) {
        GossipsubRouter.PeerState state = r.peers.get(p);
        return state != null && state.protocol.isGossipsub() && state.topics.contains(topic)
                && !r.inBackoff(p, topic, now) && r.score.score(p, now) >= 0;
    }

    /** Graftable topic peers not already in {@code exclude}, in a deterministic order. */
    List<PeerKey> candidates(String topic, Set<PeerKey> exclude, long now) {
        List<PeerKey> out = new ArrayList<>();
        for (PeerKey p : r.topicPeers.getOrDefault(topic, Set.of())) {
            if (!exclude.contains(p) && graftable(p, topic, now)) {
                out.add(p);
            }
        }
        return out;
    }

    private void maintainMesh(String topic, Set<PeerKey> mesh, long now) {
        GossipsubConfig c = r.config;
        Iterator<PeerKey> it = mesh.iterator();
        while (it.hasNext()) {
            PeerKey p = it.next();
            if (r.score.score(p, now) < 0) {
                it.remove();
                r.score.prune(p, topic, now);
                r.sendPrune(p, topic, false, false, now);
            }
        }
        if (mesh.size() < c.dLo()) {
            graftAll(topic, mesh, r.pick(candidates(topic, mesh, now), c.d() - mesh.size()), now);
        }
        if (mesh.size() > c.dHi()) {
            pruneOversubscribed(topic, mesh, now);
        }
        if (mesh.size() >= c.dLo()) {
            int outbound = countOutbound(mesh);
            if (outbound < c.dOut()) {
                List<PeerKey> out = new ArrayList<>();
                for (PeerKey p : candidates(topic, mesh, now)) {
                    if (r.peers.get(p).outbound) {
                        out.add(p);
                    }
                }
                graftAll(topic, mesh, r.pick(out, c.dOut() - outbound), now);
            }
        }
        if (ticks % c.opportunisticGraftTicks() == 0 && mesh.size() > 1) {
            opportunisticGraft(topic, mesh, now);
        }
    }

    private void pruneOversubscribed(String topic, Set<PeerKey> mesh, long now) {
        GossipsubConfig c = r.config;
        List<PeerKey> byScore = new ArrayList<>(mesh);
        r.shuffle(byScore);
        byScore.sort(Comparator.comparingDouble((PeerKey p) -> r.score.score(p, now)).reversed());
        List<PeerKey> keep = new ArrayList<>(byScore.subList(0, c.dScore()));
        List<PeerKey> rest = new ArrayList<>(byScore.subList(c.dScore(), byScore.size()));
        r.shuffle(rest);
        keep.addAll(rest.subList(0, c.d() - c.dScore()));
        List<PeerKey> dropped = new ArrayList<>(rest.subList(c.d() - c.dScore(), rest.size()));
        int outbound = countOutbound(keep);
        // Outbound quota: swap random kept inbound peers (not the best-scored) for dropped outbound ones.
        for (int i = keep.size() - 1; i >= c.dScore() && outbound < c.dOut(); i--) {
            if (r.peers.get(keep.get(i)).outbound) {
                continue;
            }
            PeerKey swap = null;
            for (PeerKey d : dropped) {
                if (r.peers.get(d).outbound) {
                    swap = d;
                    break;
                }
            }
            if (swap == null) {
                break;
            }
            dropped.remove(swap);
            dropped.add(keep.set(i, swap));
            outbound++;
        }
        for (PeerKey p : dropped) {
            mesh.remove(p);
            r.score.prune(p, topic, now);
            r.sendPrune(p, topic, true, false, now);
        }
    }

    private void opportunisticGraft(String topic, Set<PeerKey> mesh, long now) {
        List<Double> scores = new ArrayList<>();
        for (PeerKey p : mesh) {
            scores.add(r.score.score(p, now));
        }
        scores.sort(Double::compare);
        double median = scores.get(scores.size() / 2);
        if (median >= r.score.params().opportunisticGraftThreshold()) {
            return;
        }
        List<PeerKey> better = new ArrayList<>();
        for (PeerKey p : candidates(topic, mesh, now)) {
            if (r.score.score(p, now) > median) {
                better.add(p);
            }
        }
        graftAll(topic, mesh, r.pick(better, r.config.opportunisticGraftPeers()), now);
    }

    private void graftAll(String topic, Set<PeerKey> mesh, List<PeerKey> add, long now) {
        for (PeerKey p : add) {
            if (mesh.add(p)) {
                r.score.graft(p, topic, now);
                r.outbox.graft(p, topic);
            }
        }
    }

    private int countOutbound(Iterable<PeerKey> set) {
        int n = 0;
        for (PeerKey p : set) {
            if (r.peers.get(p).outbound) {
                n++;
            }
        }
        return n;
    }

    private void maintainFanout(long now) {
        GossipsubConfig c = r.config;
        Iterator<Map.Entry<String, Set<PeerKey>>> it = r.fanout.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, Set<PeerKey>> e = it.next();
            String topic = e.getKey();
            Long last = r.fanoutLastPublish.get(topic);
            if (last == null || now - last > c.fanoutTtl().toNanos()) {
                it.remove();
                r.fanoutLastPublish.remove(topic);
                continue;
            }
            Set<PeerKey> f = e.getValue();
            Set<PeerKey> inTopic = r.topicPeers.getOrDefault(topic, Set.of());
            f.removeIf(p -> !inTopic.contains(p) || r.score.score(p, now) < r.score.params().publishThreshold());
            if (f.size() < c.d()) {
                List<PeerKey> more = new ArrayList<>();
                for (PeerKey p : inTopic) {
                    if (!f.contains(p) && r.peers.get(p).protocol.isGossipsub()
                            && r.score.score(p, now) >= r.score.params().publishThreshold()) {
                        more.add(p);
                    }
                }
                f.addAll(r.pick(more, c.d() - f.size()));
            }
            emitGossip(topic, f, now);
        }
    }

    private void emitGossip(String topic, Set<PeerKey> exclude, long now) {
        List<MessageId> ids = r.mcache.gossipIds(topic);
        if (ids.isEmpty()) {
            return;
        }
        List<PeerKey> eligible = new ArrayList<>();
        for (PeerKey p : r.topicPeers.getOrDefault(topic, Set.of())) {
            if (!exclude.contains(p) && r.peers.get(p).protocol.isGossipsub()
                    && r.score.score(p, now) >= r.score.params().gossipThreshold()) {
                eligible.add(p);
            }
        }
        int target = Math.max(r.config.dLazy(), (int) (r.config.gossipFactor() * eligible.size()));
        for (PeerKey p : r.pick(eligible, target)) {
            List<MessageId> announce = ids;
            if (announce.size() > r.config.maxIHaveLength()) {
                announce = new ArrayList<>(ids);
                r.shuffle(announce);
                announce = announce.subList(0, r.config.maxIHaveLength());
            }
            r.outbox.ihave(p, topic, new ArrayList<>(new LinkedHashSet<>(announce)));
        }
    }
}
