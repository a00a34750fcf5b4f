package dev.starling.p2p.kad;

import dev.starling.p2p.core.PeerId;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The Kademlia k-bucket routing table (Maymounkov and Mazières 2002; kad-dht/README.md): bucket {@code i} holds up
 * to k peers whose key shares exactly {@code i} leading bits with ours, least recently seen first. A full bucket keeps
 * its old peers (long-lived peers are the likeliest to stay) and parks the newcomer in a small replacement cache;
 * the owner pings the returned least-recently-seen peer and calls {@link #remove} if it is dead, which promotes a
 * replacement. Only DHT servers belong here.
 *
 * <p>I/O-free and clock-free. Owner thread only; not thread-safe.
 */
public final class RoutingTable {
    /** What {@link #update} did. */
    public enum UpdateResult {
        /** The peer was new and went into a bucket. */
        ADDED,
        /** The peer was known; it moved to the most recently seen end. */
        REFRESHED,
        /** The bucket is full; the peer is in the replacement cache. Ping {@link #leastRecentlySeen}. */
        BUCKET_FULL,
        /** The peer is us. */
        SELF
    }

    private final KadKey local;
    private final int k;
    private final List<ArrayDeque<KadPeer>> buckets = new ArrayList<>();
    private final List<ArrayDeque<KadPeer>> replacements = new ArrayList<>();

    /**
     * Creates an empty table.
     *
     * @param local our key
     * @param k     bucket size (20 in libp2p)
     */
    public RoutingTable(KadKey local, int k) {
        if (k <= 0) {
            throw new IllegalArgumentException("k must be positive, got " + k);
        }
        this.local = local;
        this.k = k;
        for (int i = 0; i <= KadKey.BITS; i++) {
            buckets.add(new ArrayDeque<>());
            replacements.add(new ArrayDeque<>());
        }
    }

    private int bucketOf(KadKey key) {
        return local.commonPrefixLength(key);
    }

    /**
     * Records that a peer was seen alive (it answered us, or it is a server that queried us).
     *
     * @param peer the peer
     * @return what happened
     */
    public UpdateResult update(KadPeer peer) {
        int b = bucketOf(peer.key());
        if (b == KadKey.BITS) {
            return UpdateResult.SELF;
        }
        ArrayDeque<KadPeer> bucket = buckets.get(b);
        KadPeer known = null;
        for (KadPeer p : bucket) {
            if (p.equals(peer)) {
                known = p;
                break;
            }
        }
        if (known != null) {
            bucket.remove(known);
            // An update without addresses (e.g. an inbound peer that answered) keeps the addresses we had.
            bucket.addLast(peer.addrs().isEmpty() ? known : peer);
            return UpdateResult.REFRESHED;
        }
        if (bucket.size() < k) {
            bucket.addLast(peer);
            return UpdateResult.ADDED;
        }
        ArrayDeque<KadPeer> spare = replacements.get(b);
        spare.remove(peer);
        spare.addLast(peer);
        if (spare.size() > k) {
            spare.removeFirst();
        }
        return UpdateResult.BUCKET_FULL;
    }

    /**
     * Returns the least recently seen peer of the bucket {@code peer} falls into (the one to ping when it is full).
     *
     * @param peer a peer
     * @return the oldest entry, or null when the bucket is empty
     */
    public KadPeer leastRecentlySeen(KadPeer peer) {
        return buckets.get(Math.min(bucketOf(peer.key()), KadKey.BITS)).peekFirst();
    }

    /**
     * Removes a peer (it failed to answer); a replacement, if any, takes its place.
     *
     * @param id the peer
     * @return true when it was in the table
     */
    public boolean remove(PeerId id) {
        KadKey key = KadKey.of(id.bytes());
        int b = bucketOf(key);
        if (b == KadKey.BITS) {
            return false;
        }
        ArrayDeque<KadPeer> bucket = buckets.get(b);
        Iterator<KadPeer> it = bucket.iterator();
        while (it.hasNext()) {
            if (it.next().id().equals(id)) {
                it.remove();
                KadPeer spare = replacements.get(b).pollLast();
                if (spare != null) {
                    bucket.addLast(spare);
                }
                return true;
            }
        }
        replacements.get(b).removeIf(p -> p.id().equals(id));
        return false;
    }

    /**
     * Returns how many free slots the bucket of a peer we do not have yet has: such a peer is worth probing
     * while there is room, since a lookup only reaches a region of the keyspace through peers that know it.
     *
     * @param peer a peer
     * @return k minus the bucket's size; 0 for us or a peer already in the table
     */
    public int roomFor(KadPeer peer) {
        int b = bucketOf(peer.key());
        return b == KadKey.BITS || contains(peer.id()) ? 0 : k - buckets.get(b).size();
    }

    /**
     * Picks, from peers a lookup heard of but did not query, those worth probing: peers we lack whose bucket has
     * room, no more per bucket than its free slots, at most {@code max} in all, in the given order.
     *
     * @param heardOf candidate peers (closest first)
     * @param max     most peers returned
     * @return the peers to probe
     */
    public List<KadPeer> worthProbing(List<KadPeer> heardOf, int max) {
        Map<Integer, Integer> planned = new HashMap<>();
        List<KadPeer> out = new ArrayList<>();
        for (KadPeer p : heardOf) {
            if (out.size() >= max) {
                break;
            }
            int b = bucketOf(p.key());
            if (roomFor(p) - planned.getOrDefault(b, 0) > 0) {
                planned.merge(b, 1, Integer::sum);
                out.add(p);
            }
        }
        return out;
    }

    /**
     * Returns whether the peer is in a bucket.
     *
     * @param id the peer
     * @return true when present
     */
    public boolean contains(PeerId id) {
        KadKey key = KadKey.of(id.bytes());
        int b = bucketOf(key);
        return b < KadKey.BITS && buckets.get(b).stream().anyMatch(p -> p.id().equals(id));
    }

    /**
     * Returns up to {@code count} known peers closest to a target, closest first.
     *
     * @param target the target key
     * @param count  how many
     * @return the peers
     */
    public List<KadPeer> closest(KadKey target, int count) {
        List<KadPeer> all = new ArrayList<>();
        for (ArrayDeque<KadPeer> bucket : buckets) {
            all.addAll(bucket);
        }
        all.sort((a, b) -> target.compareDistance(a.key(), b.key()));
        return all.size() <= count ? all : new ArrayList<>(all.subList(0, count));
    }

    /**
     * Returns the number of peers in buckets.
     *
     * @return the size
     */
    public int size() {
        int n = 0;
        for (ArrayDeque<KadPeer> bucket : buckets) {
            n += bucket.size();
        }
        return n;
    }

    /**
     * Returns the bucket size k.
     *
     * @return k
     */
    public int k() {
        return k;
    }

    /**
     * Returns our key.
     *
     * @return the local key
     */
    public KadKey localKey() {
        return local;
    }
}
