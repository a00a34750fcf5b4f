package dev.starling.p2p.relay;

import dev.starling.p2p.core.PeerId;
import java.util.List;

/**
 * The circuit relay v2 wire messages (libp2p/specs relay/circuit-v2.md) as records: {@link Hop} on
 * {@code /libp2p/circuit/relay/0.2.0/hop}, {@link Stop} on {@code .../stop}. Immutable; any thread. Bytes ⇄
 * records is {@link CircuitCodec}.
 */
public final class CircuitMessages {
    private CircuitMessages() {
    }

    /** Status codes of STATUS messages. */
    public enum Status {
        /** Accepted. */
        OK(100),
        /** The relay refused the reservation (for example: too many). */
        RESERVATION_REFUSED(200),
        /** Too many circuits from the initiator or to the target. */
        RESOURCE_LIMIT_EXCEEDED(201),
        /** Refused by policy. */
        PERMISSION_DENIED(202),
        /** The relay could not reach the target, or the target failed. */
        CONNECTION_FAILED(203),
        /** The target holds no reservation. */
        NO_RESERVATION(204),
        /** The request was not a valid message. */
        MALFORMED_MESSAGE(400),
        /** The request was valid but not expected here. */
        UNEXPECTED_MESSAGE(401);

        private final int wire;

        Status(int wire) {
            this.wire = wire;
        }

        /**
         * Returns the wire value.
         *
         * @return the code
         */
        public int wire() {
            return wire;
        }

        /**
         * Maps a wire value.
         *
         * @param wire the code
         * @return the status, or null if unknown
         */
        public static Status fromWire(int wire) {
            for (Status s : values()) {
                if (s.wire == wire) return s;
            }
            return null;
        }
    }

    /**
     * A peer: its id and, optionally, addresses (binary multiaddrs, kept as bytes: unknown kinds are not errors).
     *
     * @param id    the peer id
     * @param addrs binary multiaddrs
     */
    public record Peer(PeerId id, List<byte[]> addrs) {
        /** Copies the list. */
        public Peer {
            addrs = List.copyOf(addrs);
        }

        /**
         * A peer with no addresses.
         *
         * @param id the peer id
         * @return the peer
         */
        public static Peer of(PeerId id) {
            return new Peer(id, List.of());
        }
    }

    /**
     * Limits of a relayed connection; 0 means no limit.
     *
     * @param durationSeconds longest life of the connection
     * @param dataBytes       most bytes relayed in each direction
     */
    public record Limit(long durationSeconds, long dataBytes) {
        /** Checks ranges (duration is a uint32 on the wire). */
        public Limit {
            if (durationSeconds < 0 || durationSeconds > 0xFFFF_FFFFL || dataBytes < 0) {
                throw new IllegalArgumentException("bad relay limit " + durationSeconds + " s, " + dataBytes + " B");
            }
        }

        /**
         * Returns true if neither field limits anything.
         *
         * @return whether the connection is unlimited
         */
        public boolean unlimited() {
            return durationSeconds == 0 && dataBytes == 0;
        }
    }

    /**
     * A granted reservation.
     *
     * @param expireUnixSeconds when it ends (UTC seconds)
     * @param addrs             the relay's public addresses, each with {@code /p2p/RELAY}
     * @param voucher           a signed envelope ({@link ReservationVoucher}), or null
     */
    public record Reservation(long expireUnixSeconds, List<byte[]> addrs, byte[] voucher) {
        /** Copies the list. */
        public Reservation {
            addrs = List.copyOf(addrs);
        }
    }

    /**
     * A hop message.
     *
     * @param type        RESERVE, CONNECT or STATUS
     * @param peer        the target (CONNECT), or null
     * @param reservation the reservation (STATUS after RESERVE), or null
     * @param limit       the limits (STATUS), or null for none
     * @param status      the status (STATUS), or null
     */
    public record Hop(HopType type, Peer peer, Reservation reservation, Limit limit, Status status) {
        /**
         * A STATUS reply without reservation.
         *
         * @param status the status
         * @param limit  the limit, or null
         * @return the message
         */
        public static Hop status(Status status, Limit limit) {
            return new Hop(HopType.STATUS, null, null, limit, status);
        }
    }

    /** Hop message types (wire values 0, 1, 2). */
    public enum HopType {
        /** Ask for a reservation. */
        RESERVE,
        /** Ask for a circuit to a peer. */
        CONNECT,
        /** The answer. */
        STATUS
    }

    /**
     * A stop message.
     *
     * @param type   CONNECT or STATUS
     * @param peer   the initiator of the circuit (CONNECT), or null
     * @param limit  the limits, or null
     * @param status the status (STATUS), or null
     */
    public record Stop(StopType type, Peer peer, Limit limit, Status status) {
        /**
         * A STATUS reply.
         *
         * @param status the status
         * @return the message
         */
        public static Stop status(Status status) {
            return new Stop(StopType.STATUS, null, null, status);
        }
    }

    /** Stop message types (wire values 0, 1). */
    public enum StopType {
        /** A circuit from a peer arrives. */
        CONNECT,
        /** The answer. */
        STATUS
    }
}
