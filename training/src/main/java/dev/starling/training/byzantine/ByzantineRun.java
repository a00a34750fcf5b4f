package dev.starling.training.byzantine;

import dev.starling.collectives.CollectivesException;
import dev.starling.collectives.aggregate.Aggregator;
import dev.starling.collectives.attack.LabelFlip;
import dev.starling.collectives.attack.LyingReducer;
import dev.starling.collectives.attack.PeerAttack;
import dev.starling.collectives.attack.UpdateAttack;
import dev.starling.collectives.attack.UpdateAttacks;
import dev.starling.collectives.butterfly.ButterflyMember;
import dev.starling.collectives.butterfly.ButterflyResult;
import dev.starling.collectives.butterfly.PartSplit;
import dev.starling.collectives.codec.BlockQuantCodec;
import dev.starling.collectives.codec.Fp32Codec;
import dev.starling.collectives.verify.CenteredClipVerifier;
import dev.starling.collectives.verify.LocalAudit;
import dev.starling.collectives.verify.ReducerAudit;
import dev.starling.collectives.verify.SignedContributions;
import dev.starling.fault.ban.BanList;
import dev.starling.model.data.TokenDataset;
import dev.starling.p2p.core.PrivateKey;
import dev.starling.p2p.core.PublicKey;
import dev.starling.p2p.crypto.Keys;
import dev.starling.tensor.cpu.ParallelFor;
import dev.starling.training.diloco.DilocoExperiment;
import dev.starling.training.diloco.DilocoPeer;
import dev.starling.training.diloco.Evaluator;
import dev.starling.training.diloco.ExchangeReport;
import dev.starling.training.diloco.GroupExchange;
import dev.starling.training.diloco.InProcessExchange;
import dev.starling.training.diloco.OuterConfig;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;

/**
 * One run of the byzantine experiment: {@code peers} DiLoCo peers in this JVM, the last {@code f} of them attacking,
 * every reducer using one {@link Defence}. Attackers collude and see the round's honest updates before they send
 * theirs (the strongest threat model). With verification, every member audits every reducer after the all-gather
 * ({@link LocalAudit}); the verdicts re-reduce failed parts and ban the culprits, who are left out of every later
 * roster. The validation loss is that of an honest peer's θ_global after each round. Owner: the calling thread.
 */
public final class ByzantineRun {
    /** Relative tolerance of a member's published projection against the recomputed one. */
    static final double MEMBER_EPSILON = 1e-6;
    /** Relative tolerance of the CenteredClip fixed-point check. */
    static final double CHECK_TOLERANCE = 1e-3;

    private final ByzantineSettings settings;
    private final TokenDataset data;
    private final ParallelFor pool;
    private final Evaluator evaluator;

    /**
     * A ban the run made.
     *
     * @param round  the round
     * @param peer   the banned peer's name
     * @param honest whether it was an honest peer (a defence failure)
     * @param reason why
     */
    public record BanEvent(long round, String peer, boolean honest, String reason) {
    }

    /**
     * What a run produced.
     *
     * @param defence         the aggregator
     * @param attack          the attack, or {@code null} with no attackers
     * @param attackers       f
     * @param curve           validation loss after each round (the first point before training)
     * @param diverged        whether training broke down (non-finite parameters) before the last round
     * @param butterflyBytes  bytes of the butterfly all-reduce, all peers and rounds
     * @param auditBytes      bytes of the verification messages, all peers and rounds
     * @param quietAuditRatio audit bytes over butterfly bytes in rounds without any accusation (NaN if none)
     * @param bans            the bans, in order
     * @param alieZ           ALIE's z when the run used one other than the paper's, else NaN
     */
    public record Outcome(Defence defence, PeerAttack attack, int attackers, List<DilocoExperiment.Point> curve,
                          boolean diverged, long butterflyBytes, long auditBytes, double quietAuditRatio,
                          List<BanEvent> bans, double alieZ) {
        /**
         * Final validation loss; +∞ when training diverged.
         *
         * @return the loss
         */
        public double finalValLoss() {
            double v = curve.getLast().valLoss();
            return diverged || !Double.isFinite(v) ? Double.POSITIVE_INFINITY : v;
        }

        /**
         * The attack's name in files and tables: its command-line name, with the z for an ALIE whose z is not the
         * paper's (e.g. {@code alie-z40}); {@code none} without attackers.
         *
         * @return the label
         */
        public String attackLabel() {
            if (attack == null) {
                return "none";
            }
            return attack == PeerAttack.ALIE && !Double.isNaN(alieZ)
                ? "alie-z" + BigDecimal.valueOf(alieZ).stripTrailingZeros().toPlainString() : attack.cliName();
        }

        /**
         * A name for files, e.g. {@code mean-f7-sign-flip}.
         *
         * @return the name
         */
        public String name() {
            return defence.label() + "-f" + attackers + "-" + attackLabel();
        }
    }

    /**
     * Prepares runs that share the settings, data and evaluator.
     *
     * @param settings  the settings
     * @param data      the dataset
     * @param pool      the worker team (owned by the caller)
     * @param evaluator validation on fixed batches (owned by the caller)
     */
    public ByzantineRun(final ByzantineSettings settings, final TokenDataset data, final ParallelFor pool,
                        final Evaluator evaluator) {
        this.settings = settings;
        this.data = data;
        this.pool = pool;
        this.evaluator = evaluator;
    }

    /**
     * Runs one configuration, ALIE (if that is the attack) with the paper's z.
     *
     * @param defence   the aggregator
     * @param attack    the attack ({@code null} or ignored when {@code attackers} is 0)
     * @param attackers f, the last f peers
     * @return the outcome
     */
    public Outcome run(final Defence defence, final PeerAttack attack, final int attackers) {
        return run(defence, attack, attackers, Double.NaN);
    }

    /**
     * Runs one configuration.
     *
     * @param defence   the aggregator
     * @param attack    the attack ({@code null} or ignored when {@code attackers} is 0)
     * @param attackers f, the last f peers
     * @param alieZ     ALIE's z, or NaN for the paper's {@code Φ⁻¹((n − s)/n)}, {@code s = ⌊n/2 + 1⌋ − f}, from the
     *                  round's n and f; ignored by the other attacks
     * @return the outcome
     */
    public Outcome run(final Defence defence, final PeerAttack attack, final int attackers, final double alieZ) {
        int n = settings.peers();
        Aggregator rule = defence.aggregator(settings, settings.tau());
        OuterConfig outer = new OuterConfig(settings.innerSteps(), settings.outer(), null,
            BlockQuantCodec.int8(64), Fp32Codec.INSTANCE, rule, true);
        List<DilocoPeer> peers = new ArrayList<>();
        TokenDataset poisoned = attackers > 0 && attack == PeerAttack.LABEL_FLIP ? labelFlipped(data) : data;
        try {
            for (int i = 0; i < n; i++) {
                peers.add(new DilocoPeer(i, settings.train(), outer, i >= n - attackers ? poisoned : data, pool,
                    0xB7A2DL));
            }
            PeerAttack mounted = attackers == 0 ? null : attack;
            double z = mounted == PeerAttack.ALIE ? alieZ : Double.NaN;
            return new Simulation(defence, mounted, attackers, peers, z).run();
        } finally {
            peers.forEach(DilocoPeer::close);
        }
    }

    /**
     * The data a label-flipping attacker trains on: the training stream mapped through one seeded permutation of the
     * vocabulary that all attackers share. Both inputs and targets go through it, because a peer's trainer reads
     * both from one stream; what the model learns is still a wrong next token for every context.
     */
    private static TokenDataset labelFlipped(final TokenDataset data) {
        int[] perm = LabelFlip.permutation(data.vocabSize(), 0x1ABE1F11FL);
        return new TokenDataset(LabelFlip.apply(data.train(), perm), data.val(), data.vocabSize(), data.tokenizer(),
            data.source() + " (labels flipped)");
    }

    /** The state of one run. */
    private final class Simulation {
        private final Defence defence;
        private final PeerAttack attack;
        private final int attackers;
        private final double alieZ;
        private final List<DilocoPeer> all;
        private Aggregator rule;
        private double tau;
        private float[] lastAggregate;
        private final List<DilocoPeer> live;
        private final BanList banList = new BanList(3);
        private final Map<String, PrivateKey> keys = new HashMap<>();
        private final Map<String, PublicKey> publicKeys = new HashMap<>();
        private final InProcessExchange exchange = new InProcessExchange(1_000_000_000L);
        private final List<DilocoExperiment.Point> curve = new ArrayList<>();
        private final List<BanEvent> bans = new ArrayList<>();
        private float[] stale;
        private long butterflyBytes;
        private long auditBytes;
        private long quietButterfly;
        private long quietAudit;

        Simulation(final Defence defence, final PeerAttack attack, final int attackers, final List<DilocoPeer> all,
                   final double alieZ) {
            this.defence = defence;
            this.attack = attack;
            this.attackers = attackers;
            this.alieZ = alieZ;
            this.all = all;
            this.live = new ArrayList<>(all);
            for (DilocoPeer p : all) {
                // A fixed identity key per peer, as a volunteer's libp2p key would be.
                byte[] seed = new byte[32];
                java.util.Arrays.fill(seed, (byte) (0x40 + p.index()));
                PrivateKey key = Keys.ed25519FromSeed(seed);
                keys.put(p.name(), key);
                publicKeys.put(p.name(), key.publicKey());
            }
        }

        private boolean malicious(final DilocoPeer p) {
            return p.index() >= all.size() - attackers;
        }

        Outcome run() {
            DilocoPeer witness = all.getFirst();
            long tokensPerRound = (long) all.size() * settings.innerSteps() * settings.train().batchSize()
                * settings.train().seqLen();
            curve.add(new DilocoExperiment.Point(0, 0, evaluator.loss(witness.thetaGlobal()), Double.NaN));
            boolean diverged = false;
            for (int r = 1; r <= settings.rounds(); r++) {
                double trainLoss;
                try {
                    trainLoss = round(r);
                } catch (CollectivesException | IllegalArgumentException e) {
                    diverged = true; // non-finite updates: the encoder refuses them
                    curve.add(new DilocoExperiment.Point(r * tokensPerRound, butterflyBytes / all.size(),
                        Double.POSITIVE_INFINITY, Double.NaN));
                    break;
                }
                double val = evaluator.loss(witness.thetaGlobal());
                curve.add(new DilocoExperiment.Point(r * tokensPerRound, butterflyBytes / all.size(), val, trainLoss));
                if (!Double.isFinite(val)) {
                    diverged = true;
                    break;
                }
            }
            double quiet = quietButterfly == 0 ? Double.NaN : (double) quietAudit / quietButterfly;
            return new Outcome(defence, attack, attackers, curve, diverged, butterflyBytes, auditBytes, quiet,
                List.copyOf(bans), alieZ);
        }

        /** One round; returns the honest peers' mean training loss. */
        private double round(final long r) {
            double loss = 0;
            int honest = 0;
            for (DilocoPeer p : live) {
                if (!malicious(p) || attackersTrain()) {
                    double l = p.innerPhase();
                    if (!malicious(p)) {
                        loss += l;
                        honest++;
                    }
                }
            }
            chooseRule();
            List<String> roster = live.stream().map(DilocoPeer::name).toList();
            GroupExchange.Deadlines deadlines = exchange.nextDeadlines();
            int n = live.size();
            ButterflyMember[] members = new ButterflyMember[n];
            float[][] updates = new float[n][];
            SignedContributions.InProcessBoard signatures = new SignedContributions.InProcessBoard();
            for (int m = 0; m < n; m++) {
                members[m] = live.get(m).beginRound(r, roster, deadlines);
                if (defence.verified()) {
                    members[m].sealWith(new SignedContributions(runId(), r, roster, m, keys.get(roster.get(m)),
                        publicKeys::get, signatures));
                }
                updates[m] = live.get(m).update();
            }
            corrupt(updates, r);
            ExchangeReport report = exchange.run(members, updates);
            long roundBytes = sum(report.bytesSent());
            butterflyBytes += roundBytes;
            ButterflyResult[] results = report.results();
            if (defence.verified()) {
                results = audit(r, members, results, roundBytes, signatures.bytes());
            }
            for (int m = 0; m < n; m++) {
                live.get(m).finishRound(results[m]);
            }
            lastAggregate = results[0].aggregate().clone();
            live.removeIf(p -> banList.isBanned(runId(), p.name()));
            return honest == 0 ? Double.NaN : loss / honest;
        }

        /** This round's τ and rule on every peer; a lying reducer wraps the honest rule. */
        private void chooseRule() {
            tau = settings.tau();
            if (lastAggregate != null) {
                double sq = 0;
                for (float v : lastAggregate) {
                    sq += (double) v * v;
                }
                double rmsPartNorm = Math.sqrt(sq / live.size());
                tau = rmsPartNorm > 0 ? settings.tauScale() * rmsPartNorm : settings.tau();
            }
            rule = defence.aggregator(settings, tau);
            for (DilocoPeer p : live) {
                boolean liar = malicious(p) && attack == PeerAttack.LYING_REDUCER;
                p.reduceWith(liar ? new LyingReducer(rule, settings.liarShift()) : rule);
            }
        }

        /** Whether the attackers run their inner steps (their update is built from their own training). */
        private boolean attackersTrain() {
            return attack == PeerAttack.SIGN_FLIP || attack == PeerAttack.STALE_REPLAY
                || attack == PeerAttack.LYING_REDUCER || attack == PeerAttack.LABEL_FLIP;
        }

        /** Replaces each attacker's update, in place, with what the attack sends. */
        private void corrupt(final float[][] updates, final long r) {
            if (attack == null || attack == PeerAttack.LYING_REDUCER || attack == PeerAttack.LABEL_FLIP) {
                return; // the liar contributes honestly; the poisoner sends what its poisoned training produced
            }
            List<float[]> honestList = new ArrayList<>();
            for (int m = 0; m < updates.length; m++) {
                if (!malicious(live.get(m))) {
                    honestList.add(updates[m]);
                }
            }
            float[][] honest = honestList.toArray(new float[0][]);
            int n = updates.length;
            int f = n - honest.length;
            for (int m = 0; m < n; m++) {
                DilocoPeer p = live.get(m);
                if (!malicious(p)) {
                    continue;
                }
                float[] bad = switch (attack) {
                    case SIGN_FLIP -> UpdateAttacks.craft(UpdateAttack.SIGN_FLIP, updates[m], honest,
                        settings.signFlipScale(), 0);
                    case NOISE -> UpdateAttacks.craft(UpdateAttack.GAUSSIAN_NOISE, updates[m], honest,
                        settings.noiseScale() * rmsOfMean(honest), r * 1000 + p.index());
                    case ALIE -> UpdateAttacks.craft(UpdateAttack.ALIE, updates[m], honest,
                        Double.isNaN(alieZ) ? UpdateAttacks.alieZ(n, f) : alieZ, 0);
                    case IPM -> UpdateAttacks.craft(UpdateAttack.IPM, updates[m], honest,
                        settings.ipmEpsilon(), 0);
                    case MIMIC -> honest[0].clone();
                    case STALE_REPLAY -> staleUpdate(updates[m]);
                    case LYING_REDUCER, LABEL_FLIP -> updates[m];
                };
                System.arraycopy(bad, 0, updates[m], 0, bad.length);
            }
        }

        /** The attackers' first update, replayed every round after it. */
        private float[] staleUpdate(final float[] current) {
            if (stale == null) {
                stale = current.clone();
            }
            return stale;
        }

        /** Audits every reducer; bans the culprits and returns the results with failed parts re-reduced. */
        private ButterflyResult[] audit(final long r, final ButterflyMember[] members, final ButterflyResult[] results,
                                        final long roundBytes, final long signatureBytes) {
            int vectorLength = live.getFirst().thetaGlobal().length;
            LocalAudit.Settings audit = new LocalAudit.Settings(0xB7A2DL, r, vectorLength, PartSplit.even(),
                new CenteredClipVerifier(tau, settings.projections(), CHECK_TOLERANCE), rule,
                MEMBER_EPSILON);
            LocalAudit.Report report = LocalAudit.run(audit, members, results, UnaryOperator.identity(), List.of());
            long bytes = report.totalBytes() + signatureBytes;
            auditBytes += bytes;
            int judge = -1;
            for (int m = 0; m < members.length && judge < 0; m++) {
                judge = malicious(live.get(m)) ? -1 : m;
            }
            ReducerAudit.Outcome verdict = report.outcomes()[judge];
            boolean quiet = verdict.reReduced().isEmpty() && verdict.falseAccusers().isEmpty();
            if (quiet) {
                quietAudit += bytes;
                quietButterfly += roundBytes;
            }
            for (Map.Entry<Integer, String> ban : verdict.banned().entrySet()) {
                DilocoPeer p = live.get(ban.getKey());
                if (banList.ban(runId(), p.name(), r, ban.getValue())) {
                    bans.add(new BanEvent(r, p.name(), !malicious(p), ban.getValue()));
                }
            }
            for (int accuser : verdict.falseAccusers()) {
                DilocoPeer p = live.get(accuser);
                if (banList.strike(runId(), p.name(), r, "false accusation")) {
                    bans.add(new BanEvent(r, p.name(), !malicious(p), "false accusations"));
                }
            }
            // A contribution an honest reducer dropped (bad bytes, bad signature) counts against its sender.
            Set<Integer> badSenders = new TreeSet<>();
            for (int m = 0; m < results.length; m++) {
                if (!malicious(live.get(m))) {
                    results[m].faults().forEach(f -> badSenders.add(f.member()));
                }
            }
            for (int sender : badSenders) {
                DilocoPeer p = live.get(sender);
                if (banList.strike(runId(), p.name(), r, "dropped contribution")) {
                    bans.add(new BanEvent(r, p.name(), !malicious(p), "dropped contributions"));
                }
            }
            ButterflyResult[] out = new ButterflyResult[results.length];
            for (int m = 0; m < results.length; m++) {
                ButterflyResult res = results[m];
                out[m] = new ButterflyResult(verdict.aggregate().clone(), res.missingParts(),
                    res.missingContributors(), res.faults());
            }
            return out;
        }

        private String runId() {
            return defence.label() + "/" + attack + "/" + attackers + "/" + alieZ;
        }
    }

    private static double rmsOfMean(final float[][] honest) {
        int d = honest[0].length;
        double s = 0;
        for (int c = 0; c < d; c++) {
            double mean = 0;
            for (float[] h : honest) {
                mean += h[c];
            }
            mean /= honest.length;
            s += mean * mean;
        }
        return Math.sqrt(s / d);
    }

    private static long sum(final long[] values) {
        long s = 0;
        for (long v : values) {
            s += v;
        }
        return s;
    }
}
