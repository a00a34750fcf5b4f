package dev.starling.collectives.verify;

/**
 * What members of a round tell each other to check their reducers ({@link ReducerAudit}). Every message names its
 * sender by roster index; the transport authenticates that index, never the bytes. {@link #wireBytes()} is the size
 * the message takes on the wire, for the cost accounting (the in-process experiment does not serialize them).
 */
public sealed interface AuditMessage {

    /**
     * The sender's roster index.
     *
     * @return the index
     */
    int member();

    /**
     * Bytes on the wire.
     *
     * @return the size
     */
    long wireBytes();

    /**
     * Sent with the contributions, before any aggregate exists: SHA-256 over the SHA-256 of each part of the
     * sender's contribution as its reducer decodes it, so it cannot later reveal something else.
     *
     * @param member sender
     * @param root   the 32-byte hash of the part hashes
     */
    record Commitment(int member, byte[] root) implements AuditMessage {
        @Override
        public long wireBytes() {
            return 8 + 32L;
        }
    }

    /**
     * Sent after the all-gather: for every part, the sender's projections of its clipped difference to the
     * aggregate; as reducer of its own part, which contributions it used.
     *
     * @param member      sender
     * @param projections one per part ({@code null} where the sender did not contribute)
     * @param used        for the sender's own part, whether each member's contribution went into the aggregate
     */
    record Projections(int member, ClipProjection[] projections, boolean[] used) implements AuditMessage {
        @Override
        public long wireBytes() {
            long bytes = 8 + (used.length + 7) / 8;
            for (ClipProjection p : projections) {
                bytes += p == null ? 1 : 8L * (p.projections().length + 1);
            }
            return bytes;
        }
    }

    /**
     * The sender's claim that a part fails its check.
     *
     * @param member sender
     * @param part   the part
     */
    record Accusation(int member, int part) implements AuditMessage {
        @Override
        public long wireBytes() {
            return 16;
        }
    }

    /**
     * The sender's contribution to an accused part, to be checked against its commitment.
     *
     * @param member     sender
     * @param part       the part
     * @param values     the contribution as the reducer decoded it
     * @param partHashes the hash of each part of the sender's contribution (what its commitment's root covers)
     */
    record Reveal(int member, int part, float[] values, byte[][] partHashes) implements AuditMessage {
        @Override
        public long wireBytes() {
            return 16 + 4L * values.length + 32L * partHashes.length;
        }
    }
}
