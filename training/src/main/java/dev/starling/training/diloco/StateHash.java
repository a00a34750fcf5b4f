package dev.starling.training.diloco;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * SHA-256 over the raw IEEE-754 bits of a float vector (little-endian, element by element), so two peers hold the
 * same hash exactly when they hold the same bytes (+0 and -0 differ, as do NaN payloads). Stateless; any thread.
 */
public final class StateHash {
    private StateHash() {
    }

    /**
     * Hashes a vector.
     *
     * @param values the vector (not modified)
     * @return the SHA-256 as 64 lowercase hex digits
     */
    public static String of(final float[] values) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
        byte[] block = new byte[4096];
        int used = 0;
        for (float v : values) {
            int bits = Float.floatToRawIntBits(v);
            block[used] = (byte) bits;
            block[used + 1] = (byte) (bits >>> 8);
            block[used + 2] = (byte) (bits >>> 16);
            block[used + 3] = (byte) (bits >>> 24);
            used += 4;
            if (used == block.length) {
                sha.update(block, 0, used);
                used = 0;
            }
        }
        sha.update(block, 0, used);
        return HexFormat.of().formatHex(sha.digest());
    }
}
