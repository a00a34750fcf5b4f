package dev.starling.p2p.pubsub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One router against hand-driven remote peers; time is a plain long. */
class GossipsubRouterTest {
    private static final long SECOND = 1_000_000_000L;
    private static final String TOPIC = "t";

    private GossipsubRouter router;
    private final List<PeerKey> remotes = new ArrayList<>();
    private final List<Ed25519PubsubSigning> remoteKeys = new ArrayList<>();
    private long now = 1_000 * SECOND;

    private static Ed25519PubsubSigning key(int i) {
        byte[] seed = new byte[32];
        new SplittableRandom(i).nextBytes(seed);
        return new Ed25519PubsubSigning(seed);
    }

    @BeforeEach
    void setUp() {
        Ed25519PubsubSigning local = key(0);
        PeerScoreParams scoring = PeerScoreParams.defaults(Map.of(TOPIC, TopicScoreParams.defaults()));
        router = new GossipsubRouter(GossipsubConfig.defaults(), scoring, SignaturePolicy.STRICT_SIGN, local,
                Ed25519PubsubSigning.verifier(), MessageIdFunction.FROM_AND_SEQNO, 1);
        for (int i = 1; i <= 20; i++) {
            Ed25519PubsubSigning k = key(i);
            remoteKeys.add(k);
            remotes.add(new PeerKey(k.localPeerId()));
            router.addPeer(remotes.get(i - 1), PubsubProtocol.MESHSUB_V11, i % 2 == 0, now);
            router.handleRpc(remotes.get(i - 1), new Rpc(List.of(new Rpc.SubOpts(true, TOPIC)), List.of(), null),
                    now);
        }
    }

    private PubsubMessage signed(int remote, long seqno, String text) {
        Ed25519PubsubSigning k = remoteKeys.get(remote);
        byte[] seq = java.nio.ByteBuffer.allocate(8).putLong(seqno).array();
        PubsubMessage m = new PubsubMessage(k.localPeerId(), text.getBytes(), seq, TOPIC, null, null);
        return m.withSignature(k.sign(SigningPayload.of(m)), new byte[0]);
    }

    private static Rpc control(Rpc.Control c) {
        return new Rpc(List.of(), List.of(), c);
    }

    private static Rpc.Control graft(String topic) {
        return new Rpc.Control(List.of(), List.of(), List.of(new Rpc.Graft(topic)), List.of(), List.of());
    }

    @Test
    void shouldGraftDPeersOnSubscribeAndAnnounceToAll() {
        RouterOutput out = router.subscribe(TOPIC, now);
        assertEquals(6, router.meshPeers(TOPIC).size());
        assertEquals(20, out.sends().size());
        long grafts = out.sends().values().stream().filter(r -> !r.control().graft().isEmpty()).count();
        assertEquals(6, grafts);
    }

    @Test
    void shouldPruneDownToDWhenMeshExceedsDHi() {
        router.subscribe(TOPIC, now);
        for (PeerKey p : remotes) {
            router.handleRpc(p, control(graft(TOPIC)), now);
        }
        assertTrue(router.meshPeers(TOPIC).size() > 12);
        RouterOutput out = router.heartbeat(now + SECOND);
        assertEquals(6, router.meshPeers(TOPIC).size());
        long prunes = out.sends().values().stream().filter(r -> !r.control().prune().isEmpty()).count();
        assertTrue(prunes >= 6);
        Rpc.Prune prune = out.sends().values().stream().flatMap(r -> r.control().prune().stream()).findFirst()
                .orElseThrow();
        assertEquals(60, prune.backoffSeconds());
        assertFalse(prune.peers().isEmpty(), "v1.1 prune carries peer exchange");
    }

    @Test
    void shouldRefuseAndPenaliseGraftDuringBackoff() {
        router.subscribe(TOPIC, now);
        PeerKey p = router.meshPeers(TOPIC).iterator().next();
        router.handleRpc(p, control(new Rpc.Control(List.of(), List.of(), List.of(),
                List.of(new Rpc.Prune(TOPIC, List.of(), 60)), List.of())), now);
        assertFalse(router.meshPeers(TOPIC).contains(p));
        for (int i = 0; i < 4; i++) {
            RouterOutput out = router.handleRpc(p, control(graft(TOPIC)), now + SECOND);
            assertFalse(out.sends().get(p).control().prune().isEmpty(), "answered with PRUNE");
        }
        assertFalse(router.meshPeers(TOPIC).contains(p));
        assertTrue(router.score(p, now + SECOND) < 0, "behaviour penalty made the score negative");
        for (int i = 0; i < 6; i++) {
            router.handleRpc(p, control(graft(TOPIC)), now + SECOND);
        }
        assertTrue(router.handleRpc(p, control(graft(TOPIC)), now + SECOND).sends().isEmpty(),
                "a graylisted peer gets no answer at all");
    }

    @Test
    void shouldDeliverValidMessageOnceAndForwardToMesh() {
        router.subscribe(TOPIC, now);
        PubsubMessage m = signed(0, 1, "hello");
        RouterOutput first = router.handleRpc(remotes.get(0), new Rpc(List.of(), List.of(m), null), now);
        assertEquals(1, first.deliveries().size());
        assertEquals("hello", new String(first.deliveries().get(0).message().data()));
        long forwards = first.sends().values().stream().filter(r -> !r.messages().isEmpty()).count();
        assertTrue(forwards >= 5, "forwarded to mesh peers except the source");
        RouterOutput dup = router.handleRpc(remotes.get(1), new Rpc(List.of(), List.of(m), null), now);
        assertTrue(dup.deliveries().isEmpty());
    }

    @Test
    void shouldRejectBadSignatureAndGraylistRepeatOffender() {
        router.subscribe(TOPIC, now);
        PeerKey bad = remotes.get(3);
        for (int i = 0; i < 5; i++) {
            PubsubMessage m = signed(3, 100 + i, "x");
            PubsubMessage forged = new PubsubMessage(m.from(), "y".getBytes(), m.seqno(), TOPIC, m.signature(),
                    m.key());
            assertTrue(router.handleRpc(bad, new Rpc(List.of(), List.of(forged), null), now).deliveries().isEmpty());
        }
        assertTrue(router.score(bad, now) < -80, "P4 squared pushes below graylist");
        RouterOutput out = router.handleRpc(bad, new Rpc(List.of(), List.of(signed(3, 999, "ok")), null), now);
        assertTrue(out.deliveries().isEmpty(), "graylisted peer is ignored");
    }

    @Test
    void shouldHonourValidatorVerdicts() {
        router.subscribe(TOPIC, now);
        router.setValidator(TOPIC, (from, m) -> new String(m.data()).startsWith("ok")
                ? ValidationResult.ACCEPT : new String(m.data()).startsWith("meh")
                ? ValidationResult.IGNORE : ValidationResult.REJECT);
        PeerKey p = remotes.get(0);
        assertEquals(1, router.handleRpc(p, new Rpc(List.of(), List.of(signed(0, 1, "ok")), null), now)
                .deliveries().size());
        assertTrue(router.handleRpc(p, new Rpc(List.of(), List.of(signed(0, 2, "meh")), null), now)
                .deliveries().isEmpty());
        double before = router.score(p, now);
        router.handleRpc(p, new Rpc(List.of(), List.of(signed(0, 3, "bad")), null), now);
        assertTrue(router.score(p, now) < before);
    }

    @Test
    void shouldAskIWantForUnseenIHaveAndAnswerIWantFromCache() {
        router.subscribe(TOPIC, now);
        PubsubMessage m = signed(0, 5, "gossip");
        MessageId id = MessageIdFunction.FROM_AND_SEQNO.idOf(m);
        PeerKey p = remotes.get(1);
        RouterOutput out = router.handleRpc(p, control(new Rpc.Control(
                List.of(new Rpc.IHave(TOPIC, List.of(id))), List.of(), List.of(), List.of(), List.of())), now);
        assertEquals(List.of(id), out.sends().get(p).control().iwant().get(0).messageIds());
        router.handleRpc(remotes.get(0), new Rpc(List.of(), List.of(m), null), now);
        RouterOutput answer = router.handleRpc(p, control(new Rpc.Control(List.of(),
                List.of(new Rpc.IWant(List.of(id))), List.of(), List.of(), List.of())), now);
        assertEquals(m, answer.sends().get(p).messages().get(0));
    }

    @Test
    void shouldPenaliseBrokenIHavePromise() {
        router.subscribe(TOPIC, now);
        PeerKey liar = remotes.get(2);
        for (int round = 0; round < 12; round++) {
            long t = now + round * SECOND;
            MessageId id = new MessageId(new byte[] {1, 2, (byte) round});
            router.handleRpc(liar, control(new Rpc.Control(List.of(new Rpc.IHave(TOPIC, List.of(id))), List.of(),
                    List.of(), List.of(), List.of())), t);
            router.heartbeat(t + 4 * SECOND);
        }
        assertTrue(router.score(liar, now + 16 * SECOND) < 0, "broken promises add P7");
    }

    @Test
    void shouldUseFanoutWhenPublishingUnsubscribedAndExpireIt() {
        GossipsubConfig noFlood = GossipsubConfig.defaults().withFloodPublish(false);
        Ed25519PubsubSigning local = key(0);
        GossipsubRouter r = new GossipsubRouter(noFlood, PeerScoreParams.defaults(Map.of()),
                SignaturePolicy.STRICT_SIGN, local, Ed25519PubsubSigning.verifier(),
                MessageIdFunction.FROM_AND_SEQNO, 3);
        for (PeerKey p : remotes) {
            r.addPeer(p, PubsubProtocol.MESHSUB_V11, true, now);
            r.handleRpc(p, new Rpc(List.of(new Rpc.SubOpts(true, TOPIC)), List.of(), null), now);
        }
        GossipsubRouter.PublishResult res = r.publish(TOPIC, "fan".getBytes(), now);
        assertEquals(6, res.recipients());
        assertEquals(6, r.publish(TOPIC, "fan2".getBytes(), now).recipients());
        r.heartbeat(now + Duration.ofSeconds(61).toNanos());
        assertTrue(r.fanout.isEmpty(), "fanout expires after its TTL");
    }

    @Test
    void shouldAcceptPeerExchangeOnlyFromWellScoredPeers() {
        router.subscribe(TOPIC, now);
        PeerKey p = router.meshPeers(TOPIC).iterator().next();
        Rpc.Prune prune = new Rpc.Prune(TOPIC, List.of(new Rpc.PeerInfo(new byte[] {9}, new byte[0])), 60);
        RouterOutput out = router.handleRpc(p, control(new Rpc.Control(List.of(), List.of(), List.of(),
                List.of(prune), List.of())), now);
        assertTrue(out.peerExchange().isEmpty(), "score 0 is below the accept-PX threshold 10");
    }

    @Test
    void shouldKeepDOutOutboundPeersInMesh() {
        router.subscribe(TOPIC, now);
        for (int i = 0; i < 5; i++) {
            router.heartbeat(now + (i + 1) * SECOND);
        }
        long outbound = router.meshPeers(TOPIC).stream().filter(p -> remotes.indexOf(p) % 2 == 1).count();
        assertTrue(outbound >= 2, "at least D_out outbound peers: " + outbound);
    }

    @Test
    void shouldPruneMeshWithUnsubscribeBackoffWhenLeaving() {
        router.subscribe(TOPIC, now);
        RouterOutput out = router.unsubscribe(TOPIC, now);
        List<Rpc.Prune> prunes = out.sends().values().stream().flatMap(r -> r.control().prune().stream()).toList();
        assertEquals(6, prunes.size());
        assertTrue(prunes.stream().allMatch(p -> p.backoffSeconds() == 10));
        assertEquals(20, out.sends().values().stream().filter(r -> !r.subscriptions().isEmpty()).count());
        assertFalse(router.isSubscribed(TOPIC));
    }

    @Test
    void shouldSendPlainPruneWithoutPeerExchangeToMeshsubV10Peers() {
        PeerKey old = new PeerKey(key(99).localPeerId());
        router.addPeer(old, PubsubProtocol.MESHSUB_V10, false, now);
        router.handleRpc(old, new Rpc(List.of(new Rpc.SubOpts(true, TOPIC)), List.of(), null), now);
        router.subscribe(TOPIC, now);
        for (PeerKey p : remotes) {
            router.handleRpc(p, control(graft(TOPIC)), now);
        }
        router.handleRpc(old, control(graft(TOPIC)), now);
        RouterOutput out = router.unsubscribe(TOPIC, now);
        Rpc.Prune prune = out.sends().get(old).control().prune().get(0);
        assertTrue(prune.peers().isEmpty());
        assertEquals(0, prune.backoffSeconds());
    }

    @Test
    void shouldRejectSignedFieldsUnderStrictNoSignAndUseCustomIds() {
        GossipsubRouter r = new GossipsubRouter(GossipsubConfig.defaults(), PeerScoreParams.defaults(Map.of()),
                SignaturePolicy.STRICT_NO_SIGN, null, null,
                m -> new MessageId(java.util.Arrays.copyOf(m.data(), Math.min(8, m.data().length))), 5);
        PeerKey p = remotes.get(0);
        r.addPeer(p, PubsubProtocol.MESHSUB_V11, true, now);
        r.subscribe(TOPIC, now);
        PubsubMessage plain = new PubsubMessage(null, "anon".getBytes(), null, TOPIC, null, null);
        assertEquals(1, r.handleRpc(p, new Rpc(List.of(), List.of(plain), null), now).deliveries().size());
        assertTrue(r.handleRpc(p, new Rpc(List.of(), List.of(signed(0, 1, "signed")), null), now)
                .deliveries().isEmpty(), "StrictNoSign rejects from/seqno/signature");
        GossipsubRouter.PublishResult own = r.publish(TOPIC, "mine".getBytes(), now);
        assertEquals("mine", new String(own.id().bytes()));
    }

    @Test
    void shouldComputeJsDefaultIdFromInlinedKeyAndSeqno() {
        PubsubMessage m = signed(0, 7, "x");
        byte[] id = MessageIdFunction.JS_DEFAULT.idOf(m).bytes();
        assertEquals(m.from().length - 2 + 8, id.length);
        assertEquals(0x08, id[0], "starts with the PublicKey protobuf (field 1, Ed25519)");
    }

    @Test
    void shouldSurviveMutatedRpcsFedToTheRouter() {
        router.subscribe(TOPIC, now);
        GossipsubCodec codec = new GossipsubCodec(RpcLimits.defaults());
        PubsubMessage valid = signed(0, 1, "seed");
        MessageId id = MessageIdFunction.FROM_AND_SEQNO.idOf(valid);
        Rpc seedRpc = new Rpc(List.of(new Rpc.SubOpts(true, TOPIC)), List.of(valid), new Rpc.Control(
                List.of(new Rpc.IHave(TOPIC, List.of(id))), List.of(new Rpc.IWant(List.of(id))),
                List.of(new Rpc.Graft(TOPIC)), List.of(new Rpc.Prune(TOPIC, List.of(), 60)), List.of()));
        byte[] seedBytes = GossipsubCodec.encode(seedRpc);
        SplittableRandom random = new SplittableRandom(77);
        int handled = 0;
        for (int i = 0; i < 3000; i++) {
            Rpc rpc;
            try {
                rpc = codec.decode(GossipsubCodecTest.mutate(seedBytes, random));
            } catch (PubsubWireException expected) {
                continue;
            }
            PeerKey from = remotes.get(random.nextInt(remotes.size()));
            router.handleRpc(from, rpc, now + i * 1_000_000L);
            if (i % 100 == 0) {
                router.heartbeat(now + i * 1_000_000L);
            }
            handled++;
        }
        assertTrue(handled > 100, "enough mutated RPCs decoded to exercise the router: " + handled);
    }
}
