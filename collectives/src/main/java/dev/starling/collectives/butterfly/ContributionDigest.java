package dev.starling.collectives.butterfly;

import dev.starling.collectives.CollectivesException;
import java.lang.foreign.MemorySegment;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The digest a contribution is signed over: SHA-256 of the SHA-256s of its encoded chunks (whole chunks, header and
 * payload, so run, round, part and offsets are covered) in chunk order. Hashing chunk by chunk lets a receiver hash
 * each chunk as it arrives, in any order. Pure; any thread.
 */
public final class ContributionDigest {
    /** Bytes of a digest. */
    public static final int BYTES = 32;

    private ContributionDigest() {
    }

    /**
     * SHA-256 of one chunk's bytes.
     *
     * @param chunk the chunk (read, not retained)
     * @return 32 bytes
     */
    public static byte[] ofChunk(final MemorySegment chunk) {
        MessageDigest sha = sha256();
        sha.update(chunk.asByteBuffer());
        return sha.digest();
    }

    /**
     * The contribution's digest from its chunks' hashes.
     *
     * @param chunkHashes one 32-byte hash per chunk, in chunk order
     * @return 32 bytes
     * @throws CollectivesException INTERNAL if a chunk's hash is missing
     */
    public static byte[] ofChunkHashes(final byte[][] chunkHashes) {
        MessageDigest sha = sha256();
        for (byte[] h : chunkHashes) {
            if (h == null) {
                throw CollectivesException.internal("a chunk of the contribution was not hashed");
            }
            sha.update(h);
        }
        return sha.digest();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw CollectivesException.internal("the JDK has no SHA-256");
        }
    }
}
