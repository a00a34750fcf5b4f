package dev.starling.collectives.codec;

/** What an update chunk carries: one member's contribution to a part, or a reducer's aggregate of it. */
public enum ChunkKind {
    /** A member's (encoded) update for one part, sent to that part's reducer during reduce-scatter. */
    CONTRIBUTION(1),
    /** A reducer's aggregate of its part, sent to every member during all-gather. */
    AGGREGATE(2);

    private final int wireId;

    ChunkKind(final int wireId) {
        this.wireId = wireId;
    }

    /**
     * The byte written in the chunk header.
     *
     * @return the wire id
     */
    public int wireId() {
        return wireId;
    }

    /**
     * Looks a kind up by its wire id.
     *
     * @param wireId the header byte, unsigned
     * @return the kind, or {@code null} when unknown
     */
    public static ChunkKind fromWire(final int wireId) {
        return wireId == 1 ? CONTRIBUTION : wireId == 2 ? AGGREGATE : null;
    }
}
