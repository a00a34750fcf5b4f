package dev.starling.collectives.butterfly;

/**
 * Signs and checks contributions for a {@link ButterflyMember} (set with {@link ButterflyMember#sealWith}). The
 * member hands over digests, never chunks: a contribution's digest is the SHA-256 of the SHA-256s of its encoded
 * chunks in chunk order (header and payload), so a part sent as many chunks costs one signature. Called on the
 * member's owner thread.
 */
public interface ContributionSeal {
    /**
     * Sender side: this member has encoded its contribution to {@code part}; sign it and send the signature along.
     *
     * @param part   the part (its reducer is roster member {@code part})
     * @param digest the contribution's digest (32 bytes; not retained by the caller)
     */
    void sealed(int part, byte[] digest);

    /**
     * Reducer side, before aggregating: whether {@code sender}'s contribution to {@code part} carries a valid
     * signature over exactly these bytes.
     *
     * @param sender the sender's roster index
     * @param part   the part (this member's own)
     * @param digest the digest of the chunks received
     * @return null when the signature verifies, else one line saying why not (the contribution is then dropped and
     *         counted against the sender)
     */
    String check(int sender, int part, byte[] digest);
}
