package dev.starling.p2p.pubsub;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * A deterministic discrete-event network of {@link GossipsubRouter}s: manual clock, seeded per-RPC loss and delay,
 * heartbeats on each node's own phase. RPCs optionally go through the wire codec, as on a real stream.
 */
final class SimNetwork {
    private record Event(long at, long seq, Runnable action) {
    }

    final List<GossipsubRouter> routers = new ArrayList<>();
    final List<PeerKey> keys = new ArrayList<>();
    final Map<PeerKey, Integer> index = new HashMap<>();
    final Map<Integer, Map<MessageId, Long>> delivered = new LinkedHashMap<>();
    /** Nodes that take part in the mesh but never forward or serve a message (free riders / eclipse attempt). */
    final java.util.Set<Integer> silent = new java.util.HashSet<>();
    private final PriorityQueue<Event> queue = new PriorityQueue<>(
            (a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
    private final SplittableRandom random;
    private final double loss;
    private final long minDelayNanos;
    private final long maxDelayNanos;
    private final Function<Rpc, Rpc> wire;
    private long seq;
    long now;
    long rpcsSent;
    long rpcsDropped;
    long messagesSent;

    SimNetwork(long seed, double loss, long minDelayNanos, long maxDelayNanos, Function<Rpc, Rpc> wire) {
        this.random = new SplittableRandom(seed);
        this.loss = loss;
        this.minDelayNanos = minDelayNanos;
        this.maxDelayNanos = maxDelayNanos;
        this.wire = wire;
    }

    int add(GossipsubRouter router, PeerKey key, long heartbeatNanos) {
        int i = routers.size();
        routers.add(router);
        keys.add(key);
        index.put(key, i);
        delivered.put(i, new LinkedHashMap<>());
        long phase = random.nextLong(heartbeatNanos);
        schedule(phase, () -> heartbeat(i, heartbeatNanos));
        return i;
    }

    private void heartbeat(int i, long interval) {
        apply(i, routers.get(i).heartbeat(now));
        schedule(now + interval, () -> heartbeat(i, interval));
    }

    void connect(int a, int b) {
        apply(a, routers.get(a).addPeer(keys.get(b), PubsubProtocol.MESHSUB_V11, true, now));
        apply(b, routers.get(b).addPeer(keys.get(a), PubsubProtocol.MESHSUB_V11, false, now));
    }

    void schedule(long at, Runnable action) {
        queue.add(new Event(at, seq++, action));
    }

    void apply(int from, RouterOutput out) {
        for (RouterOutput.Delivery d : out.deliveries()) {
            delivered.get(from).putIfAbsent(d.id(), now);
        }
        for (Map.Entry<PeerKey, Rpc> e : out.sends().entrySet()) {
            int to = index.get(e.getKey());
            rpcsSent++;
            messagesSent += e.getValue().messages().size();
            if (random.nextDouble() < loss) {
                rpcsDropped++;
                continue;
            }
            Rpc rpc = e.getValue();
            if (silent.contains(from)) {
                rpc = new Rpc(rpc.subscriptions(), List.of(), rpc.control());
                if (rpc.isEmpty()) {
                    continue;
                }
            }
            rpc = wire.apply(rpc);
            Rpc sent = rpc;
            long delay = minDelayNanos + random.nextLong(maxDelayNanos - minDelayNanos + 1);
            PeerKey sender = keys.get(from);
            schedule(now + delay, () -> apply(to, routers.get(to).handleRpc(sender, sent, now)));
        }
    }

    void runUntil(long until) {
        while (!queue.isEmpty() && queue.peek().at <= until) {
            Event e = queue.poll();
            now = e.at;
            e.action.run();
        }
        now = until;
    }
}
