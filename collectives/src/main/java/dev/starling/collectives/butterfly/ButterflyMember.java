package dev.starling.collectives.butterfly;

import dev.starling.collectives.CollectivesException;
import dev.starling.collectives.codec.ChunkDescriptor;
import dev.starling.collectives.codec.ChunkKind;
import dev.starling.collectives.codec.ErrorFeedback;
import dev.starling.collectives.codec.UpdateChunks;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * One member's butterfly all-reduce for one round, as an I/O-free state machine (STYLE rule 3). Member i reduces
 * part i: during reduce-scatter every member sends its (encoded, error-compensated) part j to member j; member i
 * aggregates the contributions to part i with the configured robust rule, encodes the result and, during
 * all-gather, sends it to every other member. Everyone ends with the same bytes, because each part's bytes come
 * from one reducer's single encoding, which the reducer itself decodes too. Each part travels as chunks of at most
 * {@link ButterflyConfig#maxChunkElements()} elements (the header's element offset says which), so a transport can
 * pipeline them; a contribution or aggregate counts only once all its chunks are in.
 *
 * <p>Inputs are calls: {@link #start} with the local update, {@link #onChunk} for each chunk the transport
 * delivers (with the sender's authenticated roster index), and {@link #onTick} with the current time. Each returns
 * the chunks to send now. Time only enters through {@code nowNanos}: a reducer that has not heard from every member
 * by the reduce deadline aggregates without them, and a member still missing parts at the gather deadline finishes
 * with those parts zero and reports them. Chunks arriving before {@link #start} are accepted.
 *
 * <p>Invalid chunks never throw out of this class: the sender is recorded as a {@link PeerFault}, its
 * contribution is left out, and its later chunks are ignored. Not thread-safe: one owner thread per round.
 */
public final class ButterflyMember {

    /** Where the round stands. */
    public enum Phase {
        /** Created; {@link #start} not yet called (contributions may already be arriving). */
        NEW,
        /** Own update sent; waiting for contributions to this member's part. */
        REDUCING,
        /** Own part reduced and sent; waiting for the other reducers' parts. */
        GATHERING,
        /** Finished; {@link #result()} is available. */
        DONE
    }

    private final ButterflyConfig config;
    private final ErrorFeedback errorFeedback;
    private final ChunkDescriptor descriptor = new ChunkDescriptor();
    private final int n;
    private final int self;
    /** Contributions to this member's part, allocated at a sender's first chunk (sized from the config). */
    private final float[][] contributions;
    /** Which chunks of each sender's contribution arrived, and how many. */
    private final boolean[][] contributionChunks;
    private final int[] contributionChunkCount;
    /** Which chunks of each reducer's aggregate arrived, how many, and whether the part is complete. */
    private final boolean[][] aggregateChunks;
    private final int[] aggregateChunkCount;
    private final boolean[] partReceived;
    /** Members caught sending a bad contribution (or an unparseable chunk): their contributions are left out. */
    private final boolean[] faultyContributor;
    /** Reducers caught sending a bad aggregate: their part stays missing. */
    private final boolean[] faultyReducer;
    /** Kind of the chunk being accepted, once its header is verified; null before. */
    private ChunkKind acceptingKind;
    private final List<PeerFault> faults = new ArrayList<>();
    private final float[] aggregate;
    private final float[] sent;
    /** The contributions this member reduced, by sender (null where none was used), kept for reducer verification. */
    private float[][] reducedFrom;
    private final List<Integer> missingContributors = new ArrayList<>();
    private Phase phase = Phase.NEW;
    private ButterflyResult result;
    /** Signs and checks contributions, or null; with it, the SHA-256 of every contribution chunk received. */
    private ContributionSeal seal;
    private byte[][][] contributionChunkHashes;

    /**
     * Creates the state machine.
     *
     * @param config        the round's configuration
     * @param errorFeedback this peer's residual over the full vector (kept across rounds), or {@code null} to send
     *                      contributions without error feedback
     */
    public ButterflyMember(final ButterflyConfig config, final ErrorFeedback errorFeedback) {
        this.config = config;
        this.errorFeedback = errorFeedback;
        this.n = config.groupSize();
        this.self = config.self();
        this.contributions = new float[n][];
        this.contributionChunks = new boolean[n][];
        this.contributionChunkCount = new int[n];
        this.aggregateChunks = new boolean[n][];
        this.aggregateChunkCount = new int[n];
        this.partReceived = new boolean[n];
        this.faultyContributor = new boolean[n];
        this.faultyReducer = new boolean[n];
        this.aggregate = new float[config.vectorLength()];
        this.sent = new float[config.vectorLength()];
    }

    /**
     * Sends this member's update: part j of {@code delta} to member j, and keeps part {@code self} for itself.
     *
     * @param delta    the full update vector (finite), {@code vectorLength} elements; not retained
     * @param nowNanos current time
     * @return chunks to send
     * @throws CollectivesException INTERNAL when called twice, with a wrong length, or non-finite values
     */
    public List<Outgoing> start(final float[] delta, final long nowNanos) {
        if (phase != Phase.NEW || delta.length != config.vectorLength()) {
            throw CollectivesException.internal("start() in phase " + phase + " with " + delta.length
                + " elements, expected NEW and " + config.vectorLength());
        }
        List<Outgoing> out = new ArrayList<>();
        for (int part = 0; part < n; part++) {
            byte[][] hashes = new byte[config.chunksOf(part)][];
            for (int c = 0; c < config.chunksOf(part); c++) {
                int offset = config.partOffset(part) + c * config.maxChunkElements();
                int length = config.chunkLength(part, c);
                MemorySegment chunk = errorFeedback != null
                    ? errorFeedback.encode(config.contributionCodec(), ChunkKind.CONTRIBUTION, config.runIdHash(),
                        config.round(), part, delta, offset, length)
                    : UpdateChunks.encode(config.contributionCodec(), ChunkKind.CONTRIBUTION, config.runIdHash(),
                        config.round(), part, offset, delta, offset, length);
                // Keep what the reducer will decode: the verification step projects exactly these values.
                UpdateChunks.verify(descriptor, chunk, UpdateChunks.DEFAULT_MAX_ELEMENTS);
                UpdateChunks.decodePayload(descriptor, sent, offset);
                hashes[c] = seal == null ? null : ContributionDigest.ofChunk(chunk);
                if (part != self) {
                    out.add(new Outgoing(part, chunk));
                }
            }
            if (seal != null && part != self) {
                seal.sealed(part, ContributionDigest.ofChunkHashes(hashes));
            }
        }
        // Our own contribution went through the same encoding as everyone else's.
        int own = config.partOffset(self);
        contributions[self] = java.util.Arrays.copyOfRange(sent, own, own + config.partLength(self));
        contributionChunkCount[self] = config.chunksOf(self);
        phase = Phase.REDUCING;
        advance(nowNanos, out);
        return out;
    }

    /**
     * Handles one chunk from a roster member.
     *
     * @param sender   the sender's roster index, as authenticated by the transport
     * @param chunk    the chunk's bytes (read during this call only)
     * @param nowNanos current time
     * @return chunks to send
     */
    public List<Outgoing> onChunk(final int sender, final MemorySegment chunk, final long nowNanos) {
        List<Outgoing> out = new ArrayList<>();
        if (phase == Phase.DONE || sender < 0 || sender >= n || sender == self
            || (faultyContributor[sender] && (partReceived[sender] || faultyReducer[sender]))) {
            return out; // Nothing more is wanted from this sender: skip even the checksum work.
        }
        acceptingKind = null;
        try {
            accept(sender, chunk);
        } catch (CollectivesException e) {
            fault(sender, acceptingKind, e.category(), e.getMessage());
        }
        advance(nowNanos, out);
        return out;
    }

    /**
     * Lets deadlines pass.
     *
     * @param nowNanos current time
     * @return chunks to send
     */
    public List<Outgoing> onTick(final long nowNanos) {
        List<Outgoing> out = new ArrayList<>();
        advance(nowNanos, out);
        return out;
    }

    private void accept(final int sender, final MemorySegment chunk) {
        UpdateChunks.verify(descriptor, chunk, UpdateChunks.DEFAULT_MAX_ELEMENTS);
        if (descriptor.runIdHash() != config.runIdHash() || descriptor.round() != config.round()) {
            throw CollectivesException.protocolViolation("chunk for run 0x" + Long.toHexString(descriptor.runIdHash())
                + " round " + descriptor.round() + ", expected round " + config.round());
        }
        ChunkKind kind = ChunkKind.fromWire(descriptor.kindWireId());
        acceptingKind = kind;
        int part = kind == ChunkKind.CONTRIBUTION ? self : sender;
        int chunkIndex = chunkIndex(part);
        if (kind == ChunkKind.CONTRIBUTION) {
            if (faultyContributor[sender]) {
                throw CollectivesException.protocolViolation("contribution from member " + sender
                    + " after it was caught sending a bad one");
            }
            requireCodec(config.contributionCodec().id().wireId(), "contribution");
            if (phase != Phase.NEW && phase != Phase.REDUCING) {
                return; // Late: the part is already reduced without it, which missingContributors reports.
            }
            if (contributionChunks[sender] == null) {
                contributionChunks[sender] = new boolean[config.chunksOf(self)];
                contributions[sender] = new float[config.partLength(self)];
            }
            if (contributionChunks[sender][chunkIndex]) {
                throw CollectivesException.protocolViolation("second copy of contribution chunk " + chunkIndex
                    + " from member " + sender);
            }
            UpdateChunks.decodePayload(descriptor, contributions[sender],
                chunkIndex * config.maxChunkElements());
            if (seal != null) {
                contributionChunkHashes[sender][chunkIndex] = ContributionDigest.ofChunk(chunk);
            }
            contributionChunks[sender][chunkIndex] = true;
            contributionChunkCount[sender]++;
        } else {
            requireCodec(config.aggregateCodec().id().wireId(), "aggregate");
            if (aggregateChunks[sender] == null) {
                aggregateChunks[sender] = new boolean[config.chunksOf(sender)];
            }
            if (aggregateChunks[sender][chunkIndex]) {
                throw CollectivesException.protocolViolation("second copy of aggregate chunk " + chunkIndex
                    + " of part " + sender);
            }
            UpdateChunks.decodePayload(descriptor, aggregate, (int) descriptor.elementOffset());
            aggregateChunks[sender][chunkIndex] = true;
            partReceived[sender] = ++aggregateChunkCount[sender] == config.chunksOf(sender);
        }
    }

    /** The index of the verified chunk within {@code part}, checking its part, offset and count. */
    private int chunkIndex(final int part) {
        long relative = descriptor.elementOffset() - config.partOffset(part);
        int size = config.maxChunkElements();
        int index = relative >= 0 && relative % size == 0 ? (int) Math.min(Integer.MAX_VALUE, relative / size) : -1;
        if (descriptor.partIndex() != part || index < 0 || index >= config.chunksOf(part)
            || descriptor.elementCount() != config.chunkLength(part, index)) {
            throw CollectivesException.protocolViolation("chunk for part " + descriptor.partIndex() + " at "
                + descriptor.elementOffset() + "+" + descriptor.elementCount() + " is not a chunk of part " + part
                + " (" + config.partOffset(part) + "+" + config.partLength(part) + " in chunks of " + size + ")");
        }
        return index;
    }

    private void requireCodec(final int wireId, final String what) {
        if (descriptor.codecWireId() != wireId) {
            throw CollectivesException.protocolViolation(what + " encoded with codec " + descriptor.codecWireId()
                + ", the round uses codec " + wireId);
        }
    }

    /**
     * Records a bad chunk. A bad aggregate costs the sender its part; anything else costs it its contribution.
     * A valid aggregate from a member whose contribution was bad is still taken, because the other members may
     * not have seen the bad chunk and must end with the same bytes.
     */
    private void fault(final int member, final ChunkKind kind, final CollectivesException.Category category,
                       final String reason) {
        boolean first = !faultyContributor[member] && !faultyReducer[member];
        if (kind == ChunkKind.AGGREGATE) {
            faultyReducer[member] = true;
        } else {
            faultyContributor[member] = true;
            if (phase == Phase.NEW || phase == Phase.REDUCING) {
                contributions[member] = null; // Nothing from a peer caught lying goes into the aggregate.
                contributionChunkCount[member] = 0;
            }
        }
        if (first) {
            faults.add(new PeerFault(member, category, reason)); // One entry a member: the list cannot grow unbounded.
        }
    }

    /** Moves through the phases as far as the received chunks and the clock allow. */
    private void advance(final long nowNanos, final List<Outgoing> out) {
        if (phase == Phase.REDUCING && (allContributed() || nowNanos - config.reduceDeadlineNanos() >= 0)) {
            reduceOwnPart(out);
            phase = Phase.GATHERING;
        }
        if (phase == Phase.GATHERING && (allGathered() || nowNanos - config.gatherDeadlineNanos() >= 0)) {
            finish();
        }
    }

    private boolean allContributed() {
        for (int m = 0; m < n; m++) {
            if (!contributionComplete(m) && !faultyContributor[m]) {
                return false;
            }
        }
        return true;
    }

    private boolean allGathered() {
        for (int p = 0; p < n; p++) {
            if (!partReceived[p] && p != self && !faultyReducer[p]) {
                return false;
            }
        }
        return true;
    }

    private boolean contributionComplete(final int member) {
        return contributions[member] != null && contributionChunkCount[member] == config.chunksOf(self);
    }

    private void reduceOwnPart(final List<Outgoing> out) {
        checkSeals();
        int length = config.partLength(self);
        int offset = config.partOffset(self);
        List<float[]> used = new ArrayList<>();
        List<Double> usedWeights = new ArrayList<>();
        for (int m = 0; m < n; m++) {
            if (contributionComplete(m)) {
                used.add(contributions[m]);
                usedWeights.add(config.weights() == null ? 1.0 : config.weights()[m]);
            } else {
                missingContributors.add(m);
            }
        }
        float[] reduced = new float[length];
        double[] w = usedWeights.stream().mapToDouble(Double::doubleValue).toArray();
        float[] start = null;
        if (config.previousAggregate() != null) {
            start = java.util.Arrays.copyOfRange(config.previousAggregate(), offset, offset + length);
        }
        config.aggregator().aggregate(used.toArray(new float[0][]), w, length, start, reduced);
        for (int c = 0; c < config.chunksOf(self); c++) {
            int from = c * config.maxChunkElements();
            MemorySegment chunk = UpdateChunks.encode(config.aggregateCodec(), ChunkKind.AGGREGATE,
                config.runIdHash(), config.round(), self, offset + from, reduced, from, config.chunkLength(self, c));
            // Take our own part from the bytes we send, so every member holds exactly the same values.
            UpdateChunks.verify(descriptor, chunk, UpdateChunks.DEFAULT_MAX_ELEMENTS);
            UpdateChunks.decodePayload(descriptor, aggregate, offset + from);
            for (int m = 0; m < n; m++) {
                if (m != self) {
                    out.add(new Outgoing(m, chunk));
                }
            }
        }
        partReceived[self] = true;
        reducedFrom = new float[n][];
        for (int m = 0; m < n; m++) {
            reducedFrom[m] = contributionComplete(m) ? contributions[m] : null;
            contributions[m] = null;
        }
    }

    /** Drops, and counts against its sender, every complete contribution whose signature does not verify. */
    private void checkSeals() {
        if (seal == null) {
            return;
        }
        for (int m = 0; m < n; m++) {
            if (m != self && contributionComplete(m)) {
                String why = seal.check(m, self, ContributionDigest.ofChunkHashes(contributionChunkHashes[m]));
                if (why != null) {
                    fault(m, ChunkKind.CONTRIBUTION, CollectivesException.Category.BAD_PEER,
                        "contribution signature: " + why);
                }
            }
        }
    }

    /**
     * Signs this member's contributions and checks the signatures of those it reduces. Call before {@link #start}
     * and before any chunk arrives.
     *
     * @param contributionSeal the signer and checker
     * @throws CollectivesException INTERNAL once a chunk has been handled or the round started
     */
    public void sealWith(final ContributionSeal contributionSeal) {
        if (phase != Phase.NEW || this.seal != null || !faults.isEmpty()
            || java.util.Arrays.stream(contributionChunkCount).anyMatch(c -> c > 0)) {
            throw CollectivesException.internal("sealWith() must come first, once");
        }
        this.seal = contributionSeal;
        this.contributionChunkHashes = new byte[n][config.chunksOf(self)][];
    }

    private void finish() {
        List<Integer> missingParts = new ArrayList<>();
        for (int p = 0; p < n; p++) {
            if (!partReceived[p]) {
                missingParts.add(p);
                int offset = config.partOffset(p);
                java.util.Arrays.fill(aggregate, offset, offset + config.partLength(p), 0f);
            }
        }
        result = new ButterflyResult(aggregate, List.copyOf(missingParts), List.copyOf(missingContributors),
            List.copyOf(faults));
        phase = Phase.DONE;
    }

    /**
     * This member's contribution to a part exactly as its reducer decodes it (after compression and error
     * feedback), for reducer verification.
     *
     * @param part part index
     * @return a copy of the part's values; zeros before {@link #start}
     */
    public float[] sentPart(final int part) {
        int offset = config.partOffset(part);
        return java.util.Arrays.copyOfRange(sent, offset, offset + config.partLength(part));
    }

    /**
     * The contributions this member reduced its part from, as decoded, so it can vouch for them if its part is
     * accused.
     *
     * @param member the sender's roster index
     * @return the values (not copied; do not modify), or {@code null} if none of its was used or the part is not
     *         reduced yet
     */
    public float[] reducedContribution(final int member) {
        return reducedFrom == null ? null : reducedFrom[member];
    }

    /** @return the current phase */
    public Phase phase() {
        return phase;
    }

    /**
     * The round's outcome.
     *
     * @return the result
     * @throws CollectivesException INTERNAL before the round is {@link Phase#DONE}
     */
    public ButterflyResult result() {
        if (result == null) {
            throw CollectivesException.internal("result() in phase " + phase);
        }
        return result;
    }
}
