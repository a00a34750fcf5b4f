package dev.starling.peer.node;

import dev.starling.collectives.aggregate.Aggregator;
import dev.starling.collectives.aggregate.CenteredClip;
import dev.starling.collectives.butterfly.ButterflyMember;
import dev.starling.collectives.butterfly.ButterflyResult;
import dev.starling.collectives.butterfly.PartSplit;
import dev.starling.collectives.mesh.MeshAudit;
import dev.starling.collectives.verify.AuditCodec;
import dev.starling.collectives.verify.AuditMessage;
import dev.starling.collectives.verify.CenteredClipVerifier;
import dev.starling.collectives.verify.ReducerAudit;
import dev.starling.fault.ban.BanList;
import dev.starling.p2p.core.PeerId;
import dev.starling.protocol.manifest.RunManifest;
import io.netty.util.concurrent.EventExecutor;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reducer verification for a mesh peer whose run aggregates with CenteredClip: after each butterfly round it audits
 * every reducer with the other members ({@link MeshAudit}), takes the repaired aggregate, and keeps the run's bans,
 * whose ids it leaves out of every later group. Runs on the training thread; the audit runs on the owner executor.
 */
final class MeshVerification implements AutoCloseable {
    /** K, random directions per part. */
    static final int PROJECTIONS = 2;
    /** The fixed-point check's relative tolerance. */
    static final double TOLERANCE = 1e-3;
    /** CenteredClip iterations below which verification stays off (an honest reducer would fail the check). */
    static final int MIN_ITERATIONS = 50;
    /** Strikes (false accusations) that ban. */
    static final int STRIKES_TO_BAN = 3;

    private static final Logger LOG = LoggerFactory.getLogger(MeshVerification.class);

    private final PeerId self;
    private final String runId;
    private final long runIdHash;
    private final int vectorLength;
    private final CenteredClip rule;
    private final long phaseMillis;
    private final MeshAudit audit;
    private final BanList bans = new BanList(STRIKES_TO_BAN);

    private MeshVerification(PeerNode node, EventExecutor owner, CenteredClip rule, long runIdHash,
                             int vectorLength, long phaseMillis, RunManifest.Group group) {
        this.self = node.host().peerId();
        this.runId = node.runId();
        this.runIdHash = runIdHash;
        this.vectorLength = vectorLength;
        this.rule = rule;
        this.phaseMillis = phaseMillis;
        // The largest frame: a reveal of the longest part the smallest group has, with the largest group's hashes.
        int[] longest = new int[Math.max(1, group.maxSize())];
        java.util.Arrays.fill(longest, (vectorLength + Math.max(1, group.minSize()) - 1) / Math.max(1,
                group.minSize()));
        this.audit = new MeshAudit(node.host(), owner, new AuditCodec(longest.length, PROJECTIONS, longest)
                .maxFrameBytes());
    }

    /**
     * Verification for the manifest's aggregator, or {@code null} when it is not CenteredClip or runs fewer than
     * {@link #MIN_ITERATIONS} iterations.
     *
     * @param node         the joined node
     * @param owner        the owner executor of the round protocols
     * @param rule         the run's aggregator
     * @param runIdHash    the run id hash
     * @param vectorLength elements of the update
     * @param manifest     the run
     * @return the verification, or null
     */
    static MeshVerification forRun(PeerNode node, EventExecutor owner, Aggregator rule, long runIdHash,
                                   int vectorLength, RunManifest manifest) {
        if (!(rule instanceof CenteredClip clip)) {
            return null;
        }
        if (manifest.aggregator().iterations() < MIN_ITERATIONS) {
            LOG.info("reducer verification off: CenteredClip with {} iterations stops short of the fixed point the"
                    + " check holds reducers to (it needs at least {})", manifest.aggregator().iterations(),
                    MIN_ITERATIONS);
            return null;
        }
        long phase = TimeUnit.SECONDS.toMillis(Math.max(1, manifest.deadlines().roundMaxSeconds() / 4));
        return new MeshVerification(node, owner, clip, runIdHash, vectorLength, phase, manifest.group());
    }

    /**
     * Whether a peer is banned from this run (it is left out of the group). Never true for this peer itself: a
     * banned peer keeps its own roster (the others drop its frames) rather than leaving itself out of its own group.
     *
     * @param peer the peer
     * @return true if banned
     */
    boolean banned(PeerId peer) {
        return !peer.equals(self) && bans.isBanned(runId, peer.toBase58());
    }

    /**
     * Audits the round and returns the result with failed parts re-reduced; records bans.
     *
     * @param round   the round
     * @param roster  the group, in roster order
     * @param member  this peer's butterfly member of the round
     * @param result  what the butterfly ended with
     * @return the verified result
     * @throws InterruptedException if interrupted while waiting
     */
    ButterflyResult verify(long round, List<PeerId> roster, ButterflyMember member, ButterflyResult result)
            throws InterruptedException {
        int n = roster.size();
        int me = roster.indexOf(self);
        if (n < 2 || me < 0) {
            return result;
        }
        int[] lengths = new int[n];
        for (int p = 0; p < n; p++) {
            lengths[p] = PartSplit.even().length(p, n, vectorLength);
        }
        ReducerAudit reducerAudit = new ReducerAudit(n, me, PartSplit.even(), vectorLength, runIdHash, round,
                new CenteredClipVerifier(rule.tau(), PROJECTIONS, TOLERANCE), rule, 1e-6);
        float[][] sent = new float[n][];
        float[][] reducedFrom = new float[n][];
        for (int p = 0; p < n; p++) {
            sent[p] = member.sentPart(p);
            reducedFrom[p] = member.reducedContribution(p);
        }
        AuditMessage.Commitment commitment = reducerAudit.commit(sent);
        ReducerAudit.Outcome outcome;
        try {
            outcome = audit.run(round, roster, reducerAudit, commitment, result.aggregate(), reducedFrom,
                    new AuditCodec(n, PROJECTIONS, lengths), phaseMillis).get(4 * phaseMillis + 5000,
                    TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("verification of round {} did not finish ({}); keeping the unverified aggregate", round,
                    e.getMessage());
            return result;
        }
        for (Map.Entry<Integer, String> ban : outcome.banned().entrySet()) {
            String id = roster.get(ban.getKey()).toBase58();
            if (ban.getValue().startsWith("withheld") && wentAway(ban.getKey(), member, result)) {
                // A member that died mid-round cannot answer the audit: its silence is a crash, not a lie.
                LOG.warn("round {}: not banning {} ({}): it went away during the round", round, id, ban.getValue());
                continue;
            }
            if (bans.ban(runId, id, round, ban.getValue())) {
                LOG.warn("banned {}{} from run {}: {}", id, roster.get(ban.getKey()).equals(self) ? " (this peer)" : "",
                        runId.substring(0, 16), ban.getValue());
            }
        }
        for (int accuser : outcome.falseAccusers()) {
            bans.strike(runId, roster.get(accuser).toBase58(), round, "false accusations");
        }
        return new ButterflyResult(outcome.aggregate(), result.missingParts(), result.missingContributors(),
                result.faults());
    }

    /** Whether this member saw the roster member die during the round (its part taken over, or nothing from it). */
    private static boolean wentAway(final int m, final ButterflyMember member, final ButterflyResult result) {
        int source = member.partSource(m);
        return source >= 0 && source != m || result.missingContributors().contains(m);
    }

    /**
     * Bans made so far in this run.
     *
     * @return the count
     */
    int banCount() {
        return bans.bans(runId).size();
    }

    @Override
    public void close() {
        audit.close();
    }
}
