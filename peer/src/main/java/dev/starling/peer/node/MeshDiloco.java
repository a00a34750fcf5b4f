package dev.starling.peer.node;

import dev.starling.collectives.attack.SelfAttack;
import dev.starling.collectives.butterfly.ButterflyMember;
import dev.starling.collectives.butterfly.ButterflyResult;
import dev.starling.collectives.codec.UpdateChunks;
import dev.starling.collectives.mesh.MeshButterfly;
import dev.starling.collectives.mesh.MeshMatchmaker;
import dev.starling.collectives.mesh.RoundMessage;
import dev.starling.fault.deadline.AdaptiveDeadlines;
import dev.starling.model.data.TokenDataset;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.PeerId;
import dev.starling.protocol.RunProtocols;
import dev.starling.protocol.manifest.RunManifest;
import dev.starling.tensor.cpu.ParallelFor;
import dev.starling.training.TrainConfig;
import dev.starling.training.diloco.DilocoPeer;
import dev.starling.training.diloco.Evaluator;
import dev.starling.training.diloco.GroupExchange;
import dev.starling.training.diloco.OuterConfig;
import io.netty.util.concurrent.DefaultEventExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.slf4j.LoggerFactory;

/**
 * One peer's DiLoCo over the mesh: H inner steps, then a group formed over gossip, then the butterfly
 * all-reduce of the compressed pseudo-gradient over streams, then the outer step. With the co2 outer
 * optimizer the all-reduce overlaps the next inner phase ({@link MeshCo2Rounds}). Before each blocking round
 * {@link ElasticRounds} downloads the run's state when this peer joined late, sat a round out or holds a θ the
 * majority does not. Runs on the caller's thread; the butterfly, matchmaking and membership run on an owner
 * executor this object owns.
 */
public final class MeshDiloco implements AutoCloseable {
    /** Validation batches the round's leader evaluates. */
    static final int VAL_BATCHES = 20;

    /** What a round ended with, for telemetry and the console. */
    public record RoundOutcome(long round, int groupSize, boolean leader, double innerLoss, double valLoss,
                               String stateHash, long bytesSent, long bytesReceived, long roundMillis,
                               double compressionRatio, int faults, double tokensPerS) {
    }

    /** Receives each round's outcome on the training thread. */
    public interface Listener {
        /**
         * Called after every round this peer took part in (or sat out, with group size 0).
         *
         * @param outcome the round's outcome
         */
        void onRound(RoundOutcome outcome);
    }

    private final PeerNode node;
    private final RunManifest manifest;
    private final DefaultEventExecutor owner = new DefaultEventExecutor();
    private final MeshButterfly butterfly;
    private final MeshMatchmaker matchmaker;
    private final DilocoPeer peer;
    private final Evaluator evaluator;
    private final TrainConfig config;
    private final ElasticRounds elastic;
    private DilocoPeer.StepListener stepListener;
    private SelfAttack attack;
    private final MeshVerification verification;
    /** The overlapped loop when the manifest's outer optimizer is co2, else null. */
    private final MeshCo2Rounds co2;

    /**
     * Builds the peer's model (shared initialisation from the run seed) and joins the round protocols.
     *
     * @param node  the joined node
     * @param data  the dataset
     * @param pool  the worker team (owned by the caller)
     * @param shard this peer's data shard number
     */
    public MeshDiloco(PeerNode node, TokenDataset data, ParallelFor pool, int shard) {
        this.node = node;
        this.manifest = node.manifest();
        OuterConfig outer = ManifestTraining.outer(manifest);
        this.config = ManifestTraining.config(manifest, data, manifest.inner().steps() * 1000, manifest.seed());
        long runIdHash = Long.parseUnsignedLong(node.runId().substring(0, 16), 16);
        this.peer = new DilocoPeer(shard, config, outer, data, pool, runIdHash);
        this.evaluator = new Evaluator(config.model(), data, config.batchSize(), config.seqLen(), VAL_BATCHES,
                manifest.seed(), pool);
        int maxFrame = UpdateChunks.DEFAULT_MAX_ELEMENTS * 4 + 1024;
        this.butterfly = new MeshButterfly(node.host(), owner, System::nanoTime,
                Math.min(maxFrame, peer.thetaGlobal().length * 4 + 4096));
        long window = TimeUnit.SECONDS.toNanos(Math.max(1, manifest.deadlines().matchmakingSeconds() / 10));
        long giveUp = TimeUnit.SECONDS.toNanos(manifest.deadlines().matchmakingSeconds());
        MeshMatchmaker.Settings settings = new MeshMatchmaker.Settings(manifest.group().minSize(),
                manifest.group().maxSize(), window, giveUp);
        this.matchmaker = new MeshMatchmaker(node.gossip(), RunProtocols.roundTopic(node.runId()),
                node.host().peerId(), owner, System::nanoTime, settings);
        matchmaker.onPeerSeen(this::connect);
        this.verification = MeshVerification.forRun(node, owner, outer.aggregator(), runIdHash,
                peer.thetaGlobal().length, manifest);
        this.co2 = outer.overlapped() ? new MeshCo2Rounds(manifest, config, peer, butterfly, matchmaker,
                p -> new Evaluator(config.model(), data, config.batchSize(), config.seqLen(), VAL_BATCHES,
                        manifest.seed(), p), node.host().peerId(), node::dialableAddresses, this::connect) : null;
        this.elastic = new ElasticRounds(node, owner, manifest.group().maxSize(), peer.exportState(0),
                TimeUnit.SECONDS.toNanos(manifest.deadlines().roundMaxSeconds()));
        matchmaker.expectGroupSize(elastic::expectedGroupSize);
    }

    /**
     * With the co2 optimizer, where the training thread's time outside the inner phases went ({@link Co2Timing}).
     *
     * @return the sums so far, or {@link Co2Timing#NONE} for blocking DiLoCo
     */
    public Co2Timing co2Timing() {
        return co2 == null ? Co2Timing.NONE : co2.timing();
    }

    /**
     * Makes this peer attack the run (experiments and tests of the defences): it corrupts its own outgoing update,
     * or lies about the part it reduces. Call before {@link #run}.
     *
     * @param attack the attacker, or {@code null} for an honest peer
     */
    public void attack(SelfAttack attack) {
        this.attack = attack;
        peer.reduceWith(attack == null ? null : attack.reducer(ManifestTraining.outer(manifest).aggregator()));
    }

    /**
     * Runs rounds until {@code rounds} are done (0: forever) or {@code stop} says so.
     *
     * @param rounds   rounds to run, 0 for no limit
     * @param stop     checked between phases
     * @param listener told about every round
     * @throws InterruptedException if interrupted while waiting for the group
     */
    public void run(int rounds, BooleanSupplier stop, Listener listener) throws InterruptedException {
        if (co2 != null) {
            co2.run(rounds, stop, listener);
            return;
        }
        long budget = manifest.inner().seconds() > 0 ? (long) (manifest.inner().seconds() * 1e9) : Long.MAX_VALUE;
        for (long round = 1; (rounds == 0 || round <= rounds) && !stop.getAsBoolean(); round++) {
            ElasticRounds.Synced synced = elastic.catchUp(round, peer.globalHash(), round == 1);
            for (int again = 1; synced != null; again++) {
                peer.importState(synced.image());
                elastic.published(synced.image());
                round = synced.image().round() + 1;
                matchmaker.skipTo(round);
                if (rounds != 0 && round > rounds) {
                    return;
                }
                // The run may have finished a round while this peer downloaded: start from the newest state, so
                // that it is ready in time for the very next round's group (ElasticRounds.MAX_CATCH_UPS tries).
                synced = again < ElasticRounds.MAX_CATCH_UPS ? elastic.catchUp(round, peer.globalHash(), false) : null;
            }
            long innerStart = System.nanoTime();
            double innerLoss = peer.innerPhase(stepListener, budget, System::nanoTime);
            long samples = (long) peer.lastInnerStepCount() * config.batchSize(); // this peer's weight
            double tokensPerS = samples * config.seqLen() / ((System.nanoTime() - innerStart) / 1e9);
            if (stop.getAsBoolean()) {
                return;
            }
            listener.onRound(outerRound(round, samples, innerLoss, tokensPerS));
        }
    }

    private RoundOutcome outerRound(long round, long samples, double innerLoss, double tokensPerS)
            throws InterruptedException {
        long start = System.nanoTime();
        long sent0 = butterfly.bytesSent();
        long received0 = butterfly.bytesReceived();
        RoundMessage.Roster roster = await(matchmaker.form(round, samples, peer.globalHash(),
                node.dialableAddresses()), "form round " + round + "'s group");
        if (roster == null) {
            return new RoundOutcome(round, 0, false, innerLoss, Double.NaN, peer.globalHash(), 0, 0,
                    (System.nanoTime() - start) / 1_000_000, Double.NaN, 0, tokensPerS);
        }
        if (!elastic.quorum(roster.members().size())) {
            LoggerFactory.getLogger(MeshDiloco.class).warn("round {}: a group of {} is no quorum of the last group or"
                    + " the live peers; waiting for the network to heal", round, roster.members().size());
            return new RoundOutcome(round, 0, false, innerLoss, Double.NaN, peer.globalHash(), 0, 0,
                    (System.nanoTime() - start) / 1_000_000, Double.NaN, 0, tokensPerS);
        }
        for (RoundMessage.Member m : roster.members()) {
            if (node.refusesMember(new PeerId(m.peerId()))) {
                LoggerFactory.getLogger(MeshDiloco.class).warn("round {}: the roster names {}, whom the run's"
                        + " admission refuses; sitting this round out", round, new PeerId(m.peerId()));
                return new RoundOutcome(round, 0, false, innerLoss, Double.NaN, peer.globalHash(), 0, 0,
                        (System.nanoTime() - start) / 1_000_000, Double.NaN, 0, tokensPerS);
            }
        }
        List<PeerId> members = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        List<RoundMessage.Member> kept = new ArrayList<>();
        for (RoundMessage.Member m : roster.members()) {
            PeerId id = new PeerId(m.peerId());
            if (verification != null && verification.banned(id)) {
                continue; // every honest member holds the same bans, so all leave it out alike
            }
            members.add(id);
            kept.add(m);
            boolean self = id.equals(node.host().peerId());
            labels.add(self ? peer.name() : id.toBase58());
            if (!self) {
                connect(id, m.addresses());
            }
        }
        long now = System.nanoTime();
        long cap = TimeUnit.SECONDS.toNanos(manifest.deadlines().roundMaxSeconds());
        List<String> ids = members.stream().map(PeerId::toBase58).toList();
        AdaptiveDeadlines.Phases phases = elastic.deadlines(ids, cap);
        ButterflyMember member = peer.beginRound(round, labels, new GroupExchange.Deadlines(now
                + phases.reduceNanos(), now + phases.gatherNanos()), RoundMessage.weights(kept));
        if (attack != null) {
            attack.corrupt(peer.update(), round);
        }
        ButterflyResult result = await(butterfly.run(round, members, member, peer.update()), "all-reduce round "
                + round);
        elastic.observeRound(ids, butterfly.bytesReceived() - received0, System.nanoTime() - now);
        if (verification != null) {
            result = verification.verify(round, members, member, result);
        }
        if (attack != null) {
            attack.observeAggregate(result.aggregate());
        }
        peer.finishRound(result);
        elastic.published(peer.exportState(round));
        boolean leader = members.getFirst().equals(node.host().peerId());
        double valLoss = leader ? evaluator.loss(peer.thetaGlobal()) : Double.NaN;
        long sent = butterfly.bytesSent() - sent0;
        int n = members.size();
        double fp32Bytes = n > 1 ? 2.0 * (n - 1) / n * 4.0 * peer.thetaGlobal().length : Double.NaN;
        return new RoundOutcome(round, n, leader, innerLoss, valLoss, peer.globalHash(), sent,
                butterfly.bytesReceived() - received0, (System.nanoTime() - start) / 1_000_000,
                sent > 0 ? fp32Bytes / sent : Double.NaN, result.faults().size(), tokensPerS);
    }

    private void connect(PeerId peer, List<String> addresses) {
        if (!peer.equals(node.host().peerId()) && node.host().connection(peer).isEmpty() && !addresses.isEmpty()) {
            try {
                node.host().dial(Multiaddr.fromString(addresses.getFirst()).withPeerId(peer));
            } catch (RuntimeException e) {
                // a peer announcing an address we cannot parse or reach only loses the direct link
            }
        }
    }

    private static <T> T await(java.util.concurrent.CompletableFuture<T> future, String what)
            throws InterruptedException {
        try {
            return future.get(1, TimeUnit.HOURS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot " + what + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("cannot " + what + ": no result within an hour", e);
        }
    }

    /**
     * Reports every inner step to {@code listener} (a peer's live progress line); call before {@link #run}.
     *
     * @param listener told on the training thread after each inner step, or null
     */
    public void onInnerStep(DilocoPeer.StepListener listener) {
        this.stepListener = listener;
    }

    /**
     * Validation loss of the current θ_global on the leader's fixed batches.
     *
     * @return the mean loss
     */
    public double validationLoss() {
        return evaluator.loss(peer.thetaGlobal());
    }

    /**
     * The model's parameter count.
     *
     * @return elements of θ
     */
    public int parameters() {
        return peer.thetaGlobal().length;
    }

    /** Leaves the round protocols and frees the model. */
    @Override
    public void close() {
        elastic.close();
        matchmaker.close();
        butterfly.close();
        if (verification != null) {
            verification.close();
        }
        evaluator.close();
        peer.close();
        owner.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
