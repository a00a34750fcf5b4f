package dev.starling.p2p.pubsub;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * A remote peer as the gossipsub router sees it: the bytes of its peer id (a multihash), usable as a map key.
 *
 * <p>Immutable; any thread. The constructor copies the array, {@link #bytes()} returns a copy.
 */
public final class PeerKey implements Comparable<PeerKey> {
    private final byte[] bytes;
    private final int hash;

    /**
     * Wraps peer-id bytes.
     *
     * @param bytes the peer id multihash bytes (copied)
     */
    public PeerKey(byte[] bytes) {
        this.bytes = bytes.clone();
        this.hash = Arrays.hashCode(this.bytes);
    }

    /**
     * Returns a copy of the peer-id bytes.
     *
     * @return the bytes
     */
    public byte[] bytes() {
        return bytes.clone();
    }

    byte[] raw() {
        return bytes;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PeerKey other && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public int compareTo(PeerKey o) {
        return Arrays.compareUnsigned(bytes, o.bytes);
    }

    @Override
    public String toString() {
        String hex = HexFormat.of().formatHex(bytes);
        return "peer:" + (hex.length() > 16 ? hex.substring(hex.length() - 16) : hex);
    }
}
