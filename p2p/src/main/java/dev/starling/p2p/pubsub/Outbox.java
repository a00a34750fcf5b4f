package dev.starling.p2p.pubsub;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Collects, per destination peer, everything the router wants to send during one event, and merges it into one RPC
 * per peer on {@link #drain}. Owner thread only.
 */
final class Outbox {
    private static final class Pending {
        private final List<Rpc.SubOpts> subs = new ArrayList<>();
        private final List<PubsubMessage> messages = new ArrayList<>();
        private final List<Rpc.IHave> ihave = new ArrayList<>();
        private final List<MessageId> iwant = new ArrayList<>();
        private final List<Rpc.Graft> graft = new ArrayList<>();
        private final List<Rpc.Prune> prune = new ArrayList<>();
    }

    private final Map<PeerKey, Pending> pending = new LinkedHashMap<>();
    private final List<RouterOutput.Delivery> deliveries = new ArrayList<>();
    private final List<Rpc.PeerInfo> peerExchange = new ArrayList<>();

    private Pending to(PeerKey peer) {
        return pending.computeIfAbsent(peer, p -> new Pending());
    }

    void subscription(PeerKey peer, String topic, boolean subscribe) {
        to(peer).subs.add(new Rpc.SubOpts(subscribe, topic));
    }

    void message(PeerKey peer, PubsubMessage message) {
        to(peer).messages.add(message);
    }

    void ihave(PeerKey peer, String topic, List<MessageId> ids) {
        to(peer).ihave.add(new Rpc.IHave(topic, ids));
    }

    void iwant(PeerKey peer, List<MessageId> ids) {
        to(peer).iwant.addAll(ids);
    }

    void graft(PeerKey peer, String topic) {
        to(peer).graft.add(new Rpc.Graft(topic));
    }

    void prune(PeerKey peer, Rpc.Prune prune) {
        Pending p = to(peer);
        p.graft.removeIf(g -> g.topic().equals(prune.topic()));
        p.prune.add(prune);
    }

    void deliver(RouterOutput.Delivery delivery) {
        deliveries.add(delivery);
    }

    void peerExchange(Rpc.PeerInfo info) {
        peerExchange.add(info);
    }

    void forget(PeerKey peer) {
        pending.remove(peer);
    }

    RouterOutput drain() {
        if (pending.isEmpty() && deliveries.isEmpty() && peerExchange.isEmpty()) {
            return RouterOutput.NONE;
        }
        Map<PeerKey, Rpc> sends = new LinkedHashMap<>();
        for (Map.Entry<PeerKey, Pending> e : pending.entrySet()) {
            Pending p = e.getValue();
            List<Rpc.IWant> iwant = p.iwant.isEmpty() ? List.of() : List.of(new Rpc.IWant(p.iwant));
            Rpc.Control control = new Rpc.Control(p.ihave, iwant, p.graft, p.prune, List.of());
            Rpc rpc = new Rpc(p.subs, p.messages, control);
            if (!rpc.isEmpty()) {
                sends.put(e.getKey(), rpc);
            }
        }
        RouterOutput out = new RouterOutput(sends, deliveries, peerExchange);
        pending.clear();
        deliveries.clear();
        peerExchange.clear();
        return out;
    }
}
