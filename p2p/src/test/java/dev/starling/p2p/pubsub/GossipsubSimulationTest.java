package dev.starling.p2p.pubsub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Many gossipsub routers in one JVM on a manual clock with seeded loss: delivery must be complete. */
class GossipsubSimulationTest {
    private static final long MS = 1_000_000L;
    private static final long SECOND = 1_000 * MS;
    private static final String TOPIC = "starling/test";
    private static final GossipsubCodec CODEC = new GossipsubCodec(RpcLimits.defaults());

    private record Result(long missing, double silentShareBefore, double silentShareAfter) {
    }

    @Test
    void shouldDeliverEveryMessageToAllHundredSubscribersWithOnePercentLoss() {
        assertEquals(0, simulate(0, "loss 1%", TopicScoreParams.defaults(), 5, 40).missing(),
                "every subscriber receives every message");
    }

    @Test
    void shouldDeliverDespiteSilentPeersAndPruneThemByMeshDeliveryScore() {
        TopicScoreParams p3 = TopicScoreParams.defaults().withMeshDeliveries(-1, 1, Duration.ofSeconds(2),
                Duration.ofMillis(300));
        Result r = simulate(10, "loss 1%, 10 silent subscribers, P3 on", p3, 1, 80);
        assertEquals(0, r.missing(), "IHAVE/IWANT gossip routes around mesh members that never forward");
        assertTrue(r.silentShareAfter() < r.silentShareBefore() / 2,
                "P3 pushes silent peers out of honest meshes: " + r);
    }

    /** Runs 100 subscribers (the first {@code silentCount} never forward) plus 5 publishers. */
    private Result simulate(int silentCount, String label, TopicScoreParams topicParams, int warmupSeconds,
                            int messages) {
        int subscribers = 100;
        int publishers = 5;
        int nodes = subscribers + publishers;
        SimNetwork net = new SimNetwork(42, 0.01, 5 * MS, 80 * MS, rpc -> CODEC.decode(GossipsubCodec.encode(rpc)));
        GossipsubConfig config = GossipsubConfig.defaults();
        PeerScoreParams scoring = PeerScoreParams.defaults(Map.of(TOPIC, topicParams));
        for (int i = 0; i < nodes; i++) {
            byte[] seed = new byte[32];
            new SplittableRandom(1000 + i).nextBytes(seed);
            Ed25519PubsubSigning signing = new Ed25519PubsubSigning(seed);
            GossipsubRouter r = new GossipsubRouter(config, scoring, SignaturePolicy.STRICT_SIGN, signing,
                    Ed25519PubsubSigning.verifier(), MessageIdFunction.FROM_AND_SEQNO, 7 + i);
            net.add(r, new PeerKey(signing.localPeerId()), config.heartbeatInterval().toNanos());
        }
        for (int i = 0; i < silentCount; i++) {
            net.silent.add(i);
        }
        connectRandomly(net, nodes, 8, new SplittableRandom(9));
        for (int i = 0; i < subscribers; i++) {
            net.apply(i, net.routers.get(i).subscribe(TOPIC, net.now));
        }
        long start = warmupSeconds * SECOND;
        net.runUntil(start);
        double before = silentShare(net, silentCount, subscribers);
        List<MessageId> ids = new ArrayList<>();
        SplittableRandom pick = new SplittableRandom(11);
        for (int m = 0; m < messages; m++) {
            long at = start + m * 100 * MS;
            int publisher = silentCount + pick.nextInt(nodes - silentCount);
            byte[] data = ("message " + m).getBytes();
            net.schedule(at, () -> {
                GossipsubRouter.PublishResult res = net.routers.get(publisher).publish(TOPIC, data, net.now);
                ids.add(res.id());
                net.delivered.get(publisher).put(res.id(), net.now);
                net.apply(publisher, res.output());
            });
        }
        net.runUntil(start + messages * 100 * MS);
        double after = silentShare(net, silentCount, subscribers);
        double meshAvg = 0;
        for (int i = silentCount; i < subscribers; i++) {
            meshAvg += net.routers.get(i).meshPeers(TOPIC).size();
        }
        meshAvg /= subscribers - silentCount;
        net.runUntil(start + messages * 100 * MS + 10 * SECOND);

        int complete = 0;
        long missing = 0;
        long latencySum = 0;
        long latencyMax = 0;
        int honest = subscribers - silentCount;
        for (int i = silentCount; i < subscribers; i++) {
            Map<MessageId, Long> got = net.delivered.get(i);
            long have = ids.stream().filter(got::containsKey).count();
            missing += ids.size() - have;
            if (have == ids.size()) {
                complete++;
            }
        }
        Map<MessageId, Long> publishedAt = new java.util.HashMap<>();
        for (Map<MessageId, Long> d : net.delivered.values()) {
            d.forEach((id, t) -> publishedAt.merge(id, t, Math::min));
        }
        for (int i = silentCount; i < subscribers; i++) {
            for (Map.Entry<MessageId, Long> e : net.delivered.get(i).entrySet()) {
                long latency = e.getValue() - publishedAt.get(e.getKey());
                latencySum += latency;
                latencyMax = Math.max(latencyMax, latency);
            }
        }
        long deliveries = (long) honest * ids.size() - missing;
        System.out.printf("gossipsub sim (%s): %d honest subscribers, %d messages: %d/%d got all, %d missing,"
                        + " latency mean %.0f ms max %d ms, rpcs %d (dropped %d), message copies %d, honest mesh at end of traffic %.1f,"
                        + " silent share of honest mesh slots %.3f -> %.3f%n",
                label, honest, messages, complete, honest, missing, latencySum / 1e6 / Math.max(1, deliveries),
                latencyMax / MS, net.rpcsSent, net.rpcsDropped, net.messagesSent, meshAvg, before,
                after);
        assertEquals(messages, ids.size());
        assertTrue(net.rpcsDropped > 0, "loss was injected");
        assertTrue(meshAvg >= config.dLo(), "honest meshes stay at least D_lo while traffic flows: " + meshAvg);
        return new Result(missing, before, after);
    }

    private static double silentShare(SimNetwork net, int silentCount, int subscribers) {
        long slots = 0;
        long silentSlots = 0;
        for (int i = silentCount; i < subscribers; i++) {
            for (PeerKey p : net.routers.get(i).meshPeers(TOPIC)) {
                slots++;
                if (net.index.get(p) < silentCount) {
                    silentSlots++;
                }
            }
        }
        return slots == 0 ? 0 : (double) silentSlots / slots;
    }

    static void connectRandomly(SimNetwork net, int nodes, int degree, SplittableRandom random) {
        boolean[][] linked = new boolean[nodes][nodes];
        for (int i = 0; i < nodes; i++) {
            int j = (i + 1) % nodes;
            link(net, linked, i, j);
            for (int k = 0; k < degree - 1; k++) {
                int other = random.nextInt(nodes);
                if (other != i && !linked[i][other]) {
                    link(net, linked, i, other);
                }
            }
        }
    }

    private static void link(SimNetwork net, boolean[][] linked, int a, int b) {
        linked[a][b] = true;
        linked[b][a] = true;
        net.connect(a, b);
    }
}
