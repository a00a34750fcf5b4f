package dev.starling.collectives.butterfly;

import dev.starling.collectives.CollectivesException;
import dev.starling.collectives.codec.ChunkDescriptor;
import dev.starling.collectives.codec.UpdateChunks;

/**
 * One part a {@link ButterflyMember} serves in place of the part's dead reducer: the contributions the survivors
 * re-sent to it (each still holds its own), and which members asked for the part and were sent it. Owned by the
 * member's thread, like the member.
 */
final class PartTakeover {
    final int part;
    private final ButterflyConfig config;
    private final float[][] contributions;
    private final boolean[][] chunks;
    private final int[] chunkCount;
    /** Members that re-sent their contribution here: they want the part back. */
    final boolean[] asked;
    /** Members this member already sent the part to. */
    final boolean[] served;
    /** How often each member asked again after being served (capped, so asking cannot amplify traffic). */
    final int[] reasked;

    PartTakeover(final int part, final ButterflyConfig config) {
        int n = config.groupSize();
        this.part = part;
        this.config = config;
        this.contributions = new float[n][];
        this.chunks = new boolean[n][];
        this.chunkCount = new int[n];
        this.asked = new boolean[n];
        this.served = new boolean[n];
        this.reasked = new int[n];
    }

    /** Takes one verified contribution chunk of this part from {@code sender} ({@code index}: its chunk index). */
    void add(final int sender, final int index, final ChunkDescriptor descriptor) {
        asked[sender] = true;
        if (chunks[sender] == null) {
            chunks[sender] = new boolean[config.chunksOf(part)];
            contributions[sender] = new float[config.partLength(part)];
        }
        if (chunks[sender][index]) {
            throw CollectivesException.protocolViolation("second copy of re-sent contribution chunk " + index
                + " of part " + part + " from member " + sender);
        }
        UpdateChunks.decodePayload(descriptor, contributions[sender], index * config.maxChunkElements());
        chunks[sender][index] = true;
        chunkCount[sender]++;
    }

    /** This member's own contribution to the part (the values its reducer would have decoded). */
    void addOwn(final int self, final float[] values) {
        contributions[self] = values;
        chunkCount[self] = config.chunksOf(part);
    }

    /** Forgets what a member caught lying sent. */
    void drop(final int member) {
        contributions[member] = null;
        chunks[member] = null;
        chunkCount[member] = 0;
    }

    /** Frees the contributions once the round is over (only the asked/served bookkeeping is still needed). */
    void dropContributions() {
        for (int m = 0; m < contributions.length; m++) {
            drop(m);
        }
    }

    boolean complete(final int member) {
        return contributions[member] != null && chunkCount[member] == config.chunksOf(part);
    }

    /** The complete contribution of a member, or null. */
    float[] contribution(final int member) {
        return complete(member) ? contributions[member] : null;
    }
}
