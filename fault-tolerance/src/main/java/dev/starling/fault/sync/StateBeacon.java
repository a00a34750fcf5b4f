package dev.starling.fault.sync;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * What every peer gossips on the run's state topic about once a second and right after each round: the last round it
 * finished, its inner-step count, the hash of its θ_global, where it can be dialed, and whether it is active or
 * leaving. The beacons are the failure detector's heartbeats, the published hashes joiners verify against, and the
 * list of sources they download from. The author is the gossip message's signed {@code from}, never a field.
 *
 * <p>Wire form (big-endian): {@code u8 status | u64 round | u64 innerSteps | 32-byte θ hash | u8 n |
 * n × (u16 len | UTF-8 multiaddr)}, at most {@link #MAX_BYTES}.
 *
 * @param status     active or leaving
 * @param round      the last round finished (0: the initial state)
 * @param innerSteps inner steps taken by then
 * @param thetaHash  SHA-256 of θ_global, 64 hex digits
 * @param addresses  where the author can be dialed
 */
public record StateBeacon(Status status, long round, long innerSteps, String thetaHash, List<String> addresses) {
    /** Largest encoded beacon. */
    public static final int MAX_BYTES = 4096;
    /** Most addresses. */
    public static final int MAX_ADDRESSES = 8;

    /** The author's status. */
    public enum Status {
        /** Taking part in rounds. */
        ACTIVE,
        /** Leaving the run now (graceful shutdown). */
        LEAVING
    }

    /** Copies the list and checks the hash. */
    public StateBeacon {
        addresses = List.copyOf(addresses);
        if (thetaHash.length() != 64) {
            throw new IllegalArgumentException("θ hash must be 64 hex digits, got " + thetaHash.length());
        }
    }

    /**
     * Encodes the beacon.
     *
     * @return the wire bytes
     */
    public byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(MAX_BYTES);
        b.put((byte) status.ordinal()).putLong(round).putLong(innerSteps).put(HexFormat.of().parseHex(thetaHash));
        List<byte[]> encoded = new ArrayList<>();
        int room = MAX_BYTES - b.position() - 1;
        for (String a : addresses.subList(0, Math.min(MAX_ADDRESSES, addresses.size()))) {
            byte[] bytes = a.getBytes(StandardCharsets.UTF_8);
            if (bytes.length + 2 <= room) {
                encoded.add(bytes);
                room -= bytes.length + 2;
            }
        }
        b.put((byte) encoded.size());
        encoded.forEach(a -> b.putShort((short) a.length).put(a));
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }

    /**
     * Decodes a beacon from the network.
     *
     * @param bytes the wire bytes
     * @return the beacon
     * @throws SyncException (BAD_PEER) if malformed
     */
    public static StateBeacon decode(byte[] bytes) {
        if (bytes.length > MAX_BYTES) {
            throw SyncException.badPeer("beacon of " + bytes.length + " bytes exceeds " + MAX_BYTES);
        }
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            int status = Byte.toUnsignedInt(b.get());
            if (status >= Status.values().length) {
                throw SyncException.badPeer("unknown beacon status " + status);
            }
            long round = b.getLong();
            long innerSteps = b.getLong();
            if (round < 0 || innerSteps < 0) {
                throw SyncException.badPeer("negative round " + round + " or inner steps " + innerSteps);
            }
            byte[] hash = new byte[32];
            b.get(hash);
            int n = Byte.toUnsignedInt(b.get());
            if (n > MAX_ADDRESSES) {
                throw SyncException.badPeer(n + " addresses exceed " + MAX_ADDRESSES);
            }
            List<String> addresses = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int len = Short.toUnsignedInt(b.getShort());
                if (len > b.remaining()) {
                    throw SyncException.badPeer("address of " + len + " bytes with " + b.remaining() + " left");
                }
                byte[] a = new byte[len];
                b.get(a);
                addresses.add(new String(a, StandardCharsets.UTF_8));
            }
            if (b.hasRemaining()) {
                throw SyncException.badPeer(b.remaining() + " trailing bytes after a beacon");
            }
            return new StateBeacon(Status.values()[status], round, innerSteps, HexFormat.of().formatHex(hash),
                    addresses);
        } catch (BufferUnderflowException e) {
            throw SyncException.badPeer("beacon truncated at " + bytes.length + " bytes");
        }
    }
}
