package dev.starling.collectives.verify;

import dev.starling.collectives.CollectivesException;
import dev.starling.collectives.aggregate.Aggregator;
import dev.starling.collectives.butterfly.PartSplit;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * One member's check of every reducer of one CenteredClip butterfly round (BTARD, Gorbunov et al. 2022), as an
 * I/O-free state machine. The round's messages ({@link AuditMessage}) flow in four steps:
 *
 * <pre>
 *   commit(sent parts)        with the contributions: SHA-256 of each part, before any aggregate exists
 *   project(aggregate, used)  after the all-gather: projections of clip_τ(x − v) on directions seeded by the aggregate
 *   accusations()             parts whose published projections do not sum to zero (anyone can see it)
 *   reveals()                 for an accused part that does fail: this member's contribution to it
 *   conclude()                verdicts, bans, re-reduced parts
 * </pre>
 *
 * <p>Nobody is banned on anyone's word. A reducer is banned only when every contribution it used was revealed,
 * each matches its sender's commitment, and with those values the fixed-point check still fails: every member
 * reproduces that from the same data. A member is banned when its revealed contribution does not match its own
 * commitment, or its published projections disagree with it, or it withholds its contribution to a part whose
 * public check failed (the broadcast is consistent, so every honest member sees that failure and reveals). An
 * accusation of a part whose public check passes
 * marks the accuser (a strike, not a ban). A part whose check failed is re-reduced from the revealed contributions
 * by every member itself, so no second reducer has to be trusted; when a contribution is missing or forged the part
 * is re-reduced without it and the reducer is not judged that round. Owner: one thread per round.
 */
public final class ReducerAudit {
    private final int n;
    private final int self;
    private final PartSplit split;
    private final int vectorLength;
    private final long runIdHash;
    private final long round;
    private final CenteredClipVerifier verifier;
    private final Aggregator reReducer;
    private final double memberEpsilon;
    private final byte[][] commitments;
    private byte[][] ownHashes;
    private final ClipProjection[][] published;
    private final boolean[][] used;
    private final float[][][] revealed;
    /** Marks a reveal that did not match its sender's commitment. */
    private static final float[] FORGED = new float[0];

    private final Map<Integer, TreeSet<Integer>> accusers = new LinkedHashMap<>();
    private float[][] ownSent;
    private float[] aggregate;

    /**
     * What the audit decided.
     *
     * @param aggregate     the round's aggregate with every failed part re-reduced (a copy)
     * @param banned        roster index → reason, for members whose misbehaviour everyone can reproduce
     * @param falseAccusers members that accused a part whose check passes
     * @param reReduced     parts re-reduced from revealed contributions
     * @param unrevealed    members that did not reveal a contribution they were asked for
     */
    public record Outcome(float[] aggregate, Map<Integer, String> banned, List<Integer> falseAccusers,
                          List<Integer> reReduced, List<Integer> unrevealed) {
    }

    /**
     * Creates the audit.
     *
     * @param n             group size
     * @param self          this member's roster index
     * @param split         the butterfly's part split
     * @param vectorLength  elements in the full vector
     * @param runIdHash     the run id hash (seeds the directions)
     * @param round         the round (seeds the directions)
     * @param verifier      the CenteredClip check, with the τ the reducers use
     * @param reReducer     the honest rule for re-reducing a failed part
     * @param memberEpsilon how far a published projection may differ from the recomputed one (relative)
     */
    public ReducerAudit(final int n, final int self, final PartSplit split, final int vectorLength,
                        final long runIdHash, final long round, final CenteredClipVerifier verifier,
                        final Aggregator reReducer, final double memberEpsilon) {
        if (n < 1 || self < 0 || self >= n || vectorLength < 0) {
            throw CollectivesException.internal("audit of n=" + n + " self=" + self + " length=" + vectorLength);
        }
        this.n = n;
        this.self = self;
        this.split = split;
        this.vectorLength = vectorLength;
        this.runIdHash = runIdHash;
        this.round = round;
        this.verifier = verifier;
        this.reReducer = reReducer;
        this.memberEpsilon = memberEpsilon;
        this.commitments = new byte[n][];
        this.published = new ClipProjection[n][];
        this.used = new boolean[n][];
        this.revealed = new float[n][n][];
    }

    /**
     * This member's commitment; call once, with its contribution as the reducers decode it.
     *
     * @param sentParts the contribution to each part (e.g. {@code ButterflyMember.sentPart(p)}); kept
     * @return the message to send to every member
     */
    public AuditMessage.Commitment commit(final float[][] sentParts) {
        if (sentParts.length != n) {
            throw CollectivesException.internal(sentParts.length + " parts for a group of " + n);
        }
        ownSent = sentParts;
        ownHashes = new byte[n][];
        for (int p = 0; p < n; p++) {
            ownHashes[p] = hash(p, sentParts[p]);
        }
        AuditMessage.Commitment c = new AuditMessage.Commitment(self, root(ownHashes));
        onCommitment(c);
        return c;
    }

    /**
     * Takes another member's commitment (the first one only; malformed ones are ignored).
     *
     * @param c the message
     */
    public void onCommitment(final AuditMessage.Commitment c) {
        if (known(c.member()) && commitments[c.member()] == null && c.root() != null && c.root().length == 32) {
            commitments[c.member()] = c.root().clone();
        }
    }

    /**
     * This member's projections of every part, after the all-gather.
     *
     * @param roundAggregate the full aggregate this member received; copied
     * @param usedInOwnPart  as reducer, whether each member's contribution went into this member's part
     * @return the message to send to every member
     */
    public AuditMessage.Projections project(final float[] roundAggregate, final boolean[] usedInOwnPart) {
        if (ownSent == null || roundAggregate.length != vectorLength || usedInOwnPart.length != n) {
            throw CollectivesException.internal("project() before commit() or with wrong lengths");
        }
        aggregate = roundAggregate.clone();
        ClipProjection[] mine = new ClipProjection[n];
        for (int p = 0; p < n; p++) {
            mine[p] = verifier.project(ownSent[p], part(aggregate, p), length(p), seed(p));
        }
        AuditMessage.Projections msg = new AuditMessage.Projections(self, mine, usedInOwnPart.clone());
        onProjections(msg);
        return msg;
    }

    /**
     * Takes another member's projections (the first message only; a malformed one counts as none).
     *
     * @param msg the message
     */
    public void onProjections(final AuditMessage.Projections msg) {
        if (!known(msg.member()) || published[msg.member()] != null || msg.projections() == null
            || msg.projections().length != n || msg.used() == null || msg.used().length != n) {
            return;
        }
        published[msg.member()] = msg.projections().clone();
        used[msg.member()] = msg.used().clone();
    }

    /**
     * The parts whose published projections fail the check, as this member's accusations.
     *
     * @return one accusation per failing part
     */
    public List<AuditMessage.Accusation> accusations() {
        List<AuditMessage.Accusation> out = new ArrayList<>();
        for (int p = 0; p < n; p++) {
            if (publicCheckFails(p)) {
                AuditMessage.Accusation a = new AuditMessage.Accusation(self, p);
                onAccusation(a);
                out.add(a);
            }
        }
        return out;
    }

    /**
     * Takes an accusation; one naming an unknown part or sender is ignored (a banned sender is not in the roster).
     *
     * @param a the message
     */
    public void onAccusation(final AuditMessage.Accusation a) {
        if (known(a.member()) && known(a.part())) {
            accusers.computeIfAbsent(a.part(), k -> new TreeSet<>()).add(a.member());
        }
    }

    /**
     * This member's contributions to the accused parts whose public check does fail.
     *
     * @return the reveals to send to every member
     */
    public List<AuditMessage.Reveal> reveals() {
        List<AuditMessage.Reveal> out = new ArrayList<>();
        for (int p : accusers.keySet()) {
            if (publicCheckFails(p) && contributors(p).contains(self)) {
                AuditMessage.Reveal r = new AuditMessage.Reveal(self, p, ownSent[p].clone(), ownHashes);
                onReveal(r);
                out.add(r);
            }
        }
        return out;
    }

    /**
     * Takes a revealed contribution (first per member and part; a wrong length or non-finite values count as none).
     * One that does not match its sender's commitment is remembered as such: the sender is banned.
     *
     * @param r the message
     */
    public void onReveal(final AuditMessage.Reveal r) {
        if (!known(r.member()) || !known(r.part()) || revealed[r.part()][r.member()] != null || r.values() == null
            || r.values().length != length(r.part()) || r.partHashes() == null || r.partHashes().length != n) {
            return;
        }
        for (float v : r.values()) {
            if (!Float.isFinite(v)) {
                return;
            }
        }
        for (byte[] h : r.partHashes()) {
            if (h == null || h.length != 32) {
                return;
            }
        }
        boolean matches = commitments[r.member()] != null
            && MessageDigest.isEqual(commitments[r.member()], root(r.partHashes()))
            && MessageDigest.isEqual(r.partHashes()[r.part()], hash(r.part(), r.values()));
        revealed[r.part()][r.member()] = matches ? r.values().clone() : FORGED;
    }

    /**
     * Decides every accused part.
     *
     * @return the verdicts' consequences
     */
    public Outcome conclude() {
        if (aggregate == null) {
            throw CollectivesException.internal("conclude() before project()");
        }
        float[] corrected = aggregate.clone();
        Map<Integer, String> banned = new LinkedHashMap<>();
        TreeSet<Integer> falseAccusers = new TreeSet<>();
        TreeSet<Integer> unrevealed = new TreeSet<>();
        List<Integer> reReduced = new ArrayList<>();
        for (Map.Entry<Integer, TreeSet<Integer>> e : accusers.entrySet()) {
            int p = e.getKey();
            if (!publicCheckFails(p)) {
                falseAccusers.addAll(e.getValue());
                continue;
            }
            List<Integer> members = contributors(p);
            List<Integer> valid = new ArrayList<>();
            for (int m : members) {
                float[] x = revealed[p][m];
                if (x == null) {
                    unrevealed.add(m);
                    banned.putIfAbsent(m, "withheld its contribution to part " + p + ", whose check failed");
                } else if (x == FORGED) {
                    banned.putIfAbsent(m, "revealed a contribution to part " + p + " that is not the one it committed");
                } else {
                    valid.add(m);
                }
            }
            if (valid.isEmpty()) {
                continue;
            }
            if (valid.size() == members.size()) {
                judge(p, valid, banned);
            }
            reReduce(p, valid, corrected);
            reReduced.add(p);
        }
        return new Outcome(corrected, banned, List.copyOf(falseAccusers), reReduced, List.copyOf(unrevealed));
    }

    /** With every contribution revealed and committed, decides whether the reducer or some members lied. */
    private void judge(final int p, final List<Integer> members, final Map<Integer, String> banned) {
        int[] ids = members.stream().mapToInt(Integer::intValue).toArray();
        List<ClipProjection> pub = new ArrayList<>();
        float[][] xs = new float[ids.length][];
        for (int i = 0; i < ids.length; i++) {
            pub.add(published[ids[i]] == null ? null : published[ids[i]][p]);
            xs[i] = revealed[p][ids[i]];
        }
        Verdict v = verifier.adjudicate(p, ids, pub, xs, part(aggregate, p), length(p), null, seed(p),
            memberEpsilon);
        if (v instanceof Verdict.ReducerAccused r) {
            banned.putIfAbsent(p, "reduced part " + p + " to a point that is not CenteredClip's (residual "
                + r.residual() + " > " + r.bound() + ")");
        } else if (v instanceof Verdict.MembersAccused m) {
            for (int liar : m.members()) {
                banned.putIfAbsent(liar, "published projections of part " + p
                    + " that its contribution disagrees with");
            }
        }
    }

    private void reReduce(final int p, final List<Integer> members, final float[] corrected) {
        float[][] xs = new float[members.size()][];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = revealed[p][members.get(i)];
        }
        float[] out = new float[length(p)];
        reReducer.aggregate(xs, null, length(p), out);
        System.arraycopy(out, 0, corrected, split.offset(p, n, vectorLength), length(p));
    }

    /** The members whose contributions reducer p says it used (everyone who published, if it said nothing). */
    private List<Integer> contributors(final int p) {
        List<Integer> out = new ArrayList<>();
        for (int m = 0; m < n; m++) {
            if (used[p] != null ? used[p][m] : published[m] != null) {
                out.add(m);
            }
        }
        return out;
    }

    private boolean publicCheckFails(final int p) {
        if (aggregate == null || length(p) == 0) {
            return false;
        }
        List<ClipProjection> pub = new ArrayList<>();
        for (int m : contributors(p)) {
            pub.add(published[m] == null ? null : published[m][p]);
        }
        return pub.isEmpty() || !(verifier.check(pub, null) instanceof Verdict.Passed);
    }

    private boolean known(final int index) {
        return index >= 0 && index < n;
    }

    private int length(final int p) {
        return split.length(p, n, vectorLength);
    }

    private float[] part(final float[] v, final int p) {
        int offset = split.offset(p, n, vectorLength);
        return Arrays.copyOfRange(v, offset, offset + length(p));
    }

    private long seed(final int p) {
        return SharedSeed.forPart(runIdHash, round, p, aggregate, split.offset(p, n, vectorLength), length(p));
    }

    private static byte[] root(final byte[][] hashes) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (byte[] h : hashes) {
                sha.update(h);
            }
            return sha.digest();
        } catch (NoSuchAlgorithmException e) {
            throw CollectivesException.internal("SHA-256 unavailable: " + e.getMessage());
        }
    }

    private byte[] hash(final int p, final float[] values) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            ByteBuffer b = ByteBuffer.allocate(20 + 4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(runIdHash).putLong(round).putInt(p);
            for (float v : values) {
                b.putInt(Float.floatToRawIntBits(v));
            }
            return sha.digest(b.array());
        } catch (NoSuchAlgorithmException e) {
            throw CollectivesException.internal("SHA-256 unavailable: " + e.getMessage());
        }
    }
}
