package dev.starling.p2p.kad;

import dev.starling.p2p.core.PeerId;
import java.util.List;

/**
 * The kad-dht wire message as records (schema: {@code src/main/proto/dht.proto}); {@link DhtCodec} converts it.
 *
 * <p>Immutable by convention (callers must not mutate arrays); any thread.
 *
 * @param type          the request or response type
 * @param key           the key (peer id bytes for FIND_NODE, record key, or provider multihash); empty if absent
 * @param record        the record for PUT_VALUE / GET_VALUE answers, or null
 * @param closerPeers   peers closer to the key
 * @param providerPeers providers for GET_PROVIDERS answers and ADD_PROVIDER requests
 */
public record DhtMessage(Type type, byte[] key, Record record, List<Peer> closerPeers, List<Peer> providerPeers) {
    /** Copies lists, replaces a null key. */
    public DhtMessage {
        key = key == null ? new byte[0] : key;
        closerPeers = List.copyOf(closerPeers);
        providerPeers = List.copyOf(providerPeers);
    }

    /**
     * A request without record or peers.
     *
     * @param type the type
     * @param key  the key
     * @return the message
     */
    public static DhtMessage request(Type type, byte[] key) {
        return new DhtMessage(type, key, null, List.of(), List.of());
    }

    /** Message types with their wire numbers. */
    public enum Type {
        /** Store a record. */
        PUT_VALUE(0),
        /** Fetch a record (and closer peers). */
        GET_VALUE(1),
        /** Announce that the sender provides a key. */
        ADD_PROVIDER(2),
        /** Fetch providers (and closer peers). */
        GET_PROVIDERS(3),
        /** Fetch closer peers. */
        FIND_NODE(4),
        /** Deprecated liveness check. */
        PING(5);

        private final int wire;

        Type(int wire) {
            this.wire = wire;
        }

        /**
         * Returns the wire number.
         *
         * @return the enum value on the wire
         */
        public int wire() {
            return wire;
        }

        static Type fromWire(int wire) {
            for (Type t : values()) {
                if (t.wire == wire) {
                    return t;
                }
            }
            return null;
        }
    }

    /**
     * A DHT record.
     *
     * @param key          the record key
     * @param value        the value
     * @param timeReceived RFC 3339 time, or empty
     */
    public record Record(byte[] key, byte[] value, String timeReceived) {
    }

    /**
     * A peer entry.
     *
     * @param id         the peer id
     * @param addrs      binary multiaddrs
     * @param connection connection type (0 NOT_CONNECTED, 1 CONNECTED, 2 CAN_CONNECT, 3 CANNOT_CONNECT)
     */
    public record Peer(PeerId id, List<byte[]> addrs, int connection) {
        /** Copies the list. */
        public Peer {
            addrs = List.copyOf(addrs);
        }

        /**
         * Converts to a routing-table peer.
         *
         * @return the peer
         */
        public KadPeer toKadPeer() {
            return KadPeer.of(id, addrs);
        }

        /**
         * Converts from a routing-table peer.
         *
         * @param p          the peer
         * @param connection the connection type to report
         * @return the entry
         */
        public static Peer of(KadPeer p, int connection) {
            return new Peer(p.id(), p.addrs(), connection);
        }
    }
}
