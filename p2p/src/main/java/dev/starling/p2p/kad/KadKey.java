package dev.starling.p2p.kad;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A point in the Kademlia keyspace: SHA-256 of a key's bytes (a peer id's multihash, a provider CID's multihash or a
 * record key), so that distance is {@code XOR(sha256(a), sha256(b))} as in kad-dht/README.md.
 *
 * <p>Immutable; any thread.
 */
public final class KadKey {
    /** Key length in bits. */
    public static final int BITS = 256;
    private final byte[] hash;
    private final int hashCode;

    private KadKey(byte[] hash) {
        this.hash = hash;
        this.hashCode = Arrays.hashCode(hash);
    }

    /**
     * Hashes raw key bytes into the keyspace.
     *
     * @param raw the key (peer id bytes, multihash, record key)
     * @return the key
     */
    public static KadKey of(byte[] raw) {
        try {
            return new KadKey(MessageDigest.getInstance("SHA-256").digest(raw));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by the JDK", e);
        }
    }

    /**
     * Returns the number of leading bits this key shares with another (256 when equal).
     *
     * @param other the other key
     * @return common prefix length in bits
     */
    public int commonPrefixLength(KadKey other) {
        for (int i = 0; i < hash.length; i++) {
            int x = (hash[i] ^ other.hash[i]) & 0xff;
            if (x != 0) {
                return i * 8 + Integer.numberOfLeadingZeros(x) - 24;
            }
        }
        return BITS;
    }

    /**
     * Compares the distances of {@code a} and {@code b} to this key.
     *
     * @param a one key
     * @param b another key
     * @return negative when {@code a} is closer, 0 when equally far, positive when {@code b} is closer
     */
    public int compareDistance(KadKey a, KadKey b) {
        for (int i = 0; i < hash.length; i++) {
            int da = (a.hash[i] ^ hash[i]) & 0xff;
            int db = (b.hash[i] ^ hash[i]) & 0xff;
            if (da != db) {
                return Integer.compare(da, db);
            }
        }
        return 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KadKey k && Arrays.equals(hash, k.hash);
    }

    @Override
    public int hashCode() {
        return hashCode;
    }

    @Override
    public String toString() {
        return "kad:" + HexFormat.of().formatHex(hash, 0, 6);
    }
}
