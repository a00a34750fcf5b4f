package dev.starling.collectives.verify;

import dev.starling.collectives.CollectivesException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The seed of a part's verification directions: SHA-256 over the run id hash, round, part index and the part's
 * aggregate as every member received it. The reducer has committed its aggregate before the seed exists, so it
 * cannot pick an aggregate whose error hides from the directions (short of grinding hashes, each grind being a
 * fresh chance of K Gaussian projections catching it). Pure; any thread.
 */
public final class SharedSeed {
    private SharedSeed() {
    }

    /**
     * Derives the seed.
     *
     * @param runIdHash run id hash
     * @param round     round
     * @param part      part index
     * @param aggregate the full aggregated vector
     * @param offset    the part's first element
     * @param length    the part's length
     * @return the seed (first 8 bytes of the digest, little-endian)
     */
    public static long forPart(final long runIdHash, final long round, final int part, final float[] aggregate,
                               final int offset, final int length) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw CollectivesException.internal("SHA-256 unavailable: " + e.getMessage());
        }
        ByteBuffer head = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(runIdHash).putLong(round).putInt(part);
        sha.update(head.array());
        ByteBuffer body = ByteBuffer.allocate(4 * length).order(ByteOrder.LITTLE_ENDIAN);
        for (int c = 0; c < length; c++) {
            body.putInt(Float.floatToRawIntBits(aggregate[offset + c]));
        }
        sha.update(body.array());
        return ByteBuffer.wrap(sha.digest()).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }
}
