package dev.starling.p2p.kad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.core.PrivateKey;
import dev.starling.p2p.crypto.Keys;
import dev.starling.p2p.pubsub.Ed25519PubsubSigning;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Routing table, lookup state machine, stores and the request handler, without any network. */
class KadCoreTest {
    private static final long SECOND = 1_000_000_000L;

    static KadPeer peer(int i) {
        byte[] seed = new byte[32];
        new SplittableRandom(i).nextBytes(seed);
        return KadPeer.of(new PeerId(new Ed25519PubsubSigning(seed).localPeerId()), List.of());
    }

    @Test
    void shouldComputeCommonPrefixAndOrderByXorDistance() {
        KadKey a = KadKey.of(new byte[] {1});
        assertEquals(256, a.commonPrefixLength(a));
        KadKey b = KadKey.of(new byte[] {2});
        KadKey c = KadKey.of(new byte[] {3});
        assertEquals(-a.compareDistance(b, c), a.compareDistance(c, b));
        assertEquals(0, a.compareDistance(b, b));
    }

    @Test
    void shouldProbeOnlyPeersWhoseBucketHasRoom() {
        KadPeer self = peer(0);
        RoutingTable table = new RoutingTable(self.key(), 2);
        List<KadPeer> bucket0 = new ArrayList<>();
        List<KadPeer> bucket1 = new ArrayList<>();
        for (int i = 1; bucket0.size() < 4 || bucket1.size() < 3; i++) {
            KadPeer p = peer(i);
            int cpl = self.key().commonPrefixLength(p.key());
            if (cpl == 0 && bucket0.size() < 4) {
                bucket0.add(p);
            } else if (cpl == 1 && bucket1.size() < 3) {
                bucket1.add(p);
            }
        }
        table.update(bucket0.get(0));
        List<KadPeer> heard = new ArrayList<>(bucket0);
        heard.addAll(bucket1);
        heard.add(self);
        // bucket 0 has one free slot (k=2) and already holds bucket0[0]; bucket 1 has two.
        assertEquals(List.of(bucket0.get(1), bucket1.get(0), bucket1.get(1)), table.worthProbing(heard, 10));
        assertEquals(List.of(bucket0.get(1)), table.worthProbing(heard, 1));
        assertEquals(0, table.roomFor(bucket0.get(0)), "already known");
        assertEquals(0, table.roomFor(self), "ourselves");
    }

    @Test
    void shouldKeepAtMostKPerBucketAndPromoteReplacementOnRemove() {
        KadPeer self = peer(0);
        RoutingTable table = new RoutingTable(self.key(), 2);
        assertEquals(RoutingTable.UpdateResult.SELF, table.update(self));
        List<KadPeer> bucket0 = new ArrayList<>();
        for (int i = 1; bucket0.size() < 3; i++) {
            KadPeer p = peer(i);
            if (self.key().commonPrefixLength(p.key()) == 0) {
                bucket0.add(p);
            }
        }
        assertEquals(RoutingTable.UpdateResult.ADDED, table.update(bucket0.get(0)));
        assertEquals(RoutingTable.UpdateResult.ADDED, table.update(bucket0.get(1)));
        assertEquals(RoutingTable.UpdateResult.BUCKET_FULL, table.update(bucket0.get(2)));
        assertEquals(bucket0.get(0), table.leastRecentlySeen(bucket0.get(2)));
        assertEquals(RoutingTable.UpdateResult.REFRESHED, table.update(bucket0.get(0)));
        assertEquals(bucket0.get(1), table.leastRecentlySeen(bucket0.get(2)));
        assertTrue(table.remove(bucket0.get(1).id()));
        assertTrue(table.contains(bucket0.get(2).id()), "replacement promoted");
        assertEquals(2, table.size());
    }

    @Test
    void shouldReturnClosestPeersInDistanceOrder() {
        RoutingTable table = new RoutingTable(peer(0).key(), 20);
        for (int i = 1; i < 100; i++) {
            table.update(peer(i));
        }
        KadKey target = KadKey.of(new byte[] {9, 9});
        List<KadPeer> closest = table.closest(target, 5);
        assertEquals(5, closest.size());
        for (int i = 1; i < closest.size(); i++) {
            assertTrue(target.compareDistance(closest.get(i - 1).key(), closest.get(i).key()) < 0);
        }
    }

    @Test
    void shouldKeepAlphaInFlightAndTreatTimeoutsAsFailures() {
        List<KadPeer> seeds = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            seeds.add(peer(i));
        }
        ClosestPeersLookup lookup = new ClosestPeersLookup(KadKey.of(new byte[] {1}), seeds, 3, 2, SECOND);
        ClosestPeersLookup.Query q = assertInstanceOf(ClosestPeersLookup.Query.class, lookup.next(0));
        assertEquals(2, q.peers().size());
        assertInstanceOf(ClosestPeersLookup.Wait.class, lookup.next(SECOND / 2));
        ClosestPeersLookup.Query again = assertInstanceOf(ClosestPeersLookup.Query.class, lookup.next(SECOND + 1));
        assertEquals(2, again.peers().size(), "both timed out, two new queries");
        for (KadPeer p : again.peers()) {
            lookup.onResponse(p.id(), List.of());
        }
        ClosestPeersLookup.Query last = assertInstanceOf(ClosestPeersLookup.Query.class, lookup.next(SECOND + 2));
        assertEquals(1, last.peers().size());
        lookup.onResponse(last.peers().get(0).id(), List.of());
        ClosestPeersLookup.Done done = assertInstanceOf(ClosestPeersLookup.Done.class, lookup.next(SECOND + 3));
        assertEquals(3, done.closest().size());
        assertEquals(5, lookup.queriesSent());
    }

    @Test
    void shouldFollowCloserPeersAndRecordDepth() {
        KadPeer seed = peer(1);
        KadPeer learned = peer(2);
        ClosestPeersLookup lookup = new ClosestPeersLookup(learned.key(), List.of(seed), 20, 3, SECOND);
        lookup.next(0);
        assertEquals(1, lookup.onResponse(seed.id(), List.of(learned)));
        ClosestPeersLookup.Query q = assertInstanceOf(ClosestPeersLookup.Query.class, lookup.next(1));
        assertEquals(learned, q.peers().get(0));
        assertEquals(2, lookup.depthOf(learned.id()));
    }

    @Test
    void shouldValidatePublicKeyRecordsAndRefuseUnknownNamespaces() {
        RecordStore store = new RecordStore(SECOND * 100, 10, 4096);
        store.addValidator("pk", new PublicKeyValidator());
        PrivateKey key = Keys.ed25519ForTest(3);
        byte[] pub = key.publicKey().marshal();
        byte[] id = dev.starling.p2p.crypto.PeerIds.fromPublicKey(pub).bytes();
        byte[] recordKey = concat("/pk/".getBytes(StandardCharsets.US_ASCII), id);
        assertEquals(RecordStore.PutResult.STORED, store.put(recordKey, pub, 0));
        assertTrue(store.get(recordKey, SECOND).isPresent());
        byte[] otherPub = Keys.ed25519ForTest(4).publicKey().marshal();
        assertEquals(RecordStore.PutResult.INVALID, store.put(recordKey, otherPub, 0));
        assertEquals(RecordStore.PutResult.INVALID, store.put("/nope/x".getBytes(), new byte[] {1}, 0));
        assertFalse(store.get(recordKey, SECOND * 101).isPresent(), "expired");
    }

    @Test
    void shouldExpireProvidersAndCapPerKey() {
        ProviderStore store = new ProviderStore(10 * SECOND, 10, 2);
        byte[] key = {1, 2, 3};
        store.add(key, peer(1), 0);
        store.add(key, peer(2), SECOND);
        store.add(key, peer(3), 2 * SECOND);
        assertEquals(List.of(peer(2), peer(3)), store.get(key, 3 * SECOND));
        assertEquals(List.of(peer(3)), store.get(key, 11 * SECOND));
        assertTrue(store.get(key, 13 * SECOND).isEmpty());
    }

    @Test
    void shouldAnswerRequestsAndOnlyAcceptSelfProviders() {
        DhtServer server = new DhtServer(KadConfig.defaults(), peer(0));
        for (int i = 1; i < 30; i++) {
            server.table().update(peer(i));
        }
        PeerId asker = peer(1).id();
        DhtMessage find = server.handle(asker, DhtMessage.request(DhtMessage.Type.FIND_NODE, new byte[] {7}), 0)
                .orElseThrow();
        assertEquals(20, find.closerPeers().size());
        assertTrue(find.closerPeers().stream().noneMatch(p -> p.id().equals(asker)));
        byte[] cid = {0x12, 0x20, 1};
        DhtMessage add = new DhtMessage(DhtMessage.Type.ADD_PROVIDER, cid, null, List.of(),
                List.of(DhtMessage.Peer.of(peer(1), 0), DhtMessage.Peer.of(peer(2), 0)));
        assertTrue(server.handle(asker, add, 0).isEmpty());
        DhtMessage providers = server.handle(asker, DhtMessage.request(DhtMessage.Type.GET_PROVIDERS, cid), 0)
                .orElseThrow();
        assertEquals(List.of(peer(1).id()), providers.providerPeers().stream().map(DhtMessage.Peer::id).toList());
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
