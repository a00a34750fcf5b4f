package dev.starling.p2p.kad;

import dev.starling.p2p.core.PeerId;
import java.util.List;
import java.util.Objects;

/**
 * A DHT peer: its id, its keyspace position and the binary multiaddrs it was announced with.
 *
 * <p>Immutable (callers must not mutate the address arrays); any thread.
 *
 * @param id    the peer id
 * @param key   {@code KadKey.of(id.bytes())}
 * @param addrs binary multiaddrs, possibly empty
 */
public record KadPeer(PeerId id, KadKey key, List<byte[]> addrs) {
    /** Copies the address list. */
    public KadPeer {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(key, "key");
        addrs = List.copyOf(addrs);
    }

    /**
     * Creates a peer, hashing its id.
     *
     * @param id    the peer id
     * @param addrs binary multiaddrs
     * @return the peer
     */
    public static KadPeer of(PeerId id, List<byte[]> addrs) {
        return new KadPeer(id, KadKey.of(id.bytes()), addrs);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KadPeer p && id.equals(p.id);
    }

    @Override
    public int hashCode() {
        return id.hashCode();
    }
}
