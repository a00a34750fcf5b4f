package dev.starling.peer.node;

import dev.starling.collectives.butterfly.ButterflyMember;
import dev.starling.collectives.butterfly.ButterflyResult;
import dev.starling.collectives.mesh.MeshButterfly;
import dev.starling.collectives.mesh.MeshMatchmaker;
import dev.starling.collectives.mesh.RoundMessage;
import dev.starling.p2p.core.PeerId;
import dev.starling.protocol.manifest.RunManifest;
import dev.starling.training.TrainConfig;
import dev.starling.training.diloco.DilocoPeer;
import dev.starling.training.diloco.Evaluator;
import dev.starling.training.diloco.GroupExchange;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * One peer's CO2 loop over the mesh (DESIGN §3 step 5): round r's matchmaking and butterfly all-reduce run in the
 * background (owner executor, event loops) while round r+1's inner steps compute on the training thread. When
 * round r+1's inner phase ends the peer takes its update Δ_{r+1}, launches round r+1's exchange, and only then
 * applies round r's aggregate, one round late with the staleness penalty and momentum clipping
 * ({@link DilocoPeer#applyOverlapped}), rebasing θ_local so round r+1's inner progress is kept. The training thread
 * waits only if round r's exchange is not done by the end of round r+1's inner phase; after the last round it
 * waits for the last exchange (the drain) and applies it.
 *
 * <pre>
 *   inner(r+1) ─┬─ await exchange(r) ─ takeUpdate ─ launch exchange(r+1) ─ apply(r) ─ inner(r+2) ...
 *   exchange(r) └────────── form group, butterfly (background) ───────────┘
 * </pre>
 *
 * <p>Threads: {@link #run} on the training thread; the exchange's continuations on the matchmaker's and
 * butterfly's owner executor, which touch only the update taken for that round (never θ).
 */
final class MeshCo2Rounds {
    private final RunManifest manifest;
    private final TrainConfig config;
    private final DilocoPeer peer;
    private final MeshButterfly butterfly;
    private final MeshMatchmaker matchmaker;
    private final Evaluator evaluator;
    private final PeerId self;
    private final Supplier<List<String>> dialable;
    private final BiConsumer<PeerId, List<String>> connect;
    /** Written and read on the training thread only. */
    private Co2Timing timing = Co2Timing.NONE;
    private long lastEvalNanos;

    /** What one round's background exchange ended with; {@code result} is null when the round had no group. */
    private record Exchange(List<PeerId> members, ButterflyResult result, long endNanos) {
    }

    /** A round whose exchange runs in the background. */
    private record InFlight(long round, double innerLoss, double tokensPerS, long startNanos, long sent0,
                            long received0, CompletableFuture<Exchange> exchange) {
    }

    MeshCo2Rounds(RunManifest manifest, TrainConfig config, DilocoPeer peer, MeshButterfly butterfly,
                  MeshMatchmaker matchmaker, Evaluator evaluator, PeerId self, Supplier<List<String>> dialable,
                  BiConsumer<PeerId, List<String>> connect) {
        this.manifest = manifest;
        this.config = config;
        this.peer = peer;
        this.butterfly = butterfly;
        this.matchmaker = matchmaker;
        this.evaluator = evaluator;
        this.self = self;
        this.dialable = dialable;
        this.connect = connect;
    }

    /**
     * Runs rounds until {@code rounds} are done (0: forever) or {@code stop} says so, then drains the last exchange.
     *
     * @param rounds   rounds to run, 0 for no limit
     * @param stop     checked after each inner phase
     * @param listener told about every round once its aggregate is applied (one round late)
     * @throws InterruptedException if interrupted while waiting for an exchange
     */
    void run(int rounds, BooleanSupplier stop, MeshDiloco.Listener listener) throws InterruptedException {
        int tokensPerRound = manifest.inner().steps() * config.batchSize() * config.seqLen();
        InFlight previous = null;
        for (long round = 1; (rounds == 0 || round <= rounds) && !stop.getAsBoolean(); round++) {
            long innerStart = System.nanoTime();
            double innerLoss = peer.innerPhase();
            double tokensPerS = tokensPerRound / ((System.nanoTime() - innerStart) / 1e9);
            if (stop.getAsBoolean()) {
                break;
            }
            long waitStart = System.nanoTime();
            boolean waited = previous != null && !previous.exchange().isDone();
            Exchange done = previous == null ? null : await(previous.exchange(), "finish round "
                    + previous.round() + "'s all-reduce");
            long boundaryStart = System.nanoTime();
            peer.takeUpdate(); // the update of this round; the exchange of the previous one no longer reads it
            InFlight current = launch(round, innerLoss, tokensPerS);
            long evalNanos = 0;
            if (previous != null) {
                MeshDiloco.RoundOutcome outcome = apply(previous, done);
                evalNanos = lastEvalNanos;
                count(boundaryStart - waitStart, System.nanoTime() - boundaryStart - evalNanos, evalNanos, waited);
                listener.onRound(outcome);
            } else {
                peer.applyOverlapped(null); // nothing to apply yet; rebase like the in-process path
                count(0, System.nanoTime() - boundaryStart, 0, false);
            }
            previous = current;
        }
        if (previous != null) {
            listener.onRound(apply(previous, await(previous.exchange(), "finish round " + previous.round()
                    + "'s all-reduce")));
        }
    }

    /**
     * Where the training thread's time outside the inner phases went so far (the final drain not included).
     *
     * @return the sums; read on the training thread or after {@link #run} returned
     */
    Co2Timing timing() {
        return timing;
    }

    private void count(long wait, long boundary, long eval, boolean waited) {
        timing = new Co2Timing(timing.rounds() + 1, timing.waitNanos() + wait, timing.boundaryNanos() + boundary,
                timing.evalNanos() + eval, timing.waits() + (waited ? 1 : 0));
    }

    private InFlight launch(long round, double innerLoss, double tokensPerS) {
        long start = System.nanoTime();
        long sent0 = butterfly.bytesSent();
        long received0 = butterfly.bytesReceived();
        long samples = (long) manifest.inner().steps() * config.batchSize();
        // CO2 peers have no state resync yet, so they do not group by base θ (one shared label, as before).
        CompletableFuture<Exchange> exchange = matchmaker.form(round, samples, "co2", dialable.get())
                .thenCompose(roster -> roster == null
                        ? CompletableFuture.completedFuture(new Exchange(List.of(), null, System.nanoTime()))
                        : allReduce(round, roster));
        return new InFlight(round, innerLoss, tokensPerS, start, sent0, received0, exchange);
    }

    /** On the owner executor, once the group is known: the butterfly of this round's update. */
    private CompletableFuture<Exchange> allReduce(long round, RoundMessage.Roster roster) {
        List<PeerId> members = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (RoundMessage.Member m : roster.members()) {
            PeerId id = new PeerId(m.peerId());
            members.add(id);
            boolean isSelf = id.equals(self);
            labels.add(isSelf ? peer.name() : id.toBase58());
            if (!isSelf) {
                connect.accept(id, m.addresses());
            }
        }
        long now = System.nanoTime();
        long cap = TimeUnit.SECONDS.toNanos(manifest.deadlines().roundMaxSeconds());
        ButterflyMember member = peer.memberFor(round, labels, new GroupExchange.Deadlines(now + cap / 2,
                now + cap), RoundMessage.weights(roster.members()));
        return butterfly.run(round, members, member, peer.update())
                .thenApply(result -> new Exchange(members, result, System.nanoTime()));
    }

    /** On the training thread: applies a finished round one round late and describes it. */
    private MeshDiloco.RoundOutcome apply(InFlight round, Exchange done) {
        long millis = (done.endNanos() - round.startNanos()) / 1_000_000;
        lastEvalNanos = 0;
        if (done.result() == null) {
            peer.applyOverlapped(null);
            return new MeshDiloco.RoundOutcome(round.round(), 0, false, round.innerLoss(), Double.NaN,
                    peer.globalHash(), 0, 0, millis, Double.NaN, 0, round.tokensPerS());
        }
        peer.applyOverlapped(done.result());
        boolean leader = done.members().getFirst().equals(self);
        long evalStart = System.nanoTime();
        double valLoss = leader ? evaluator.loss(peer.thetaGlobal()) : Double.NaN;
        lastEvalNanos = leader ? System.nanoTime() - evalStart : 0;
        long sent = butterfly.bytesSent() - round.sent0();
        int n = done.members().size();
        double fp32Bytes = n > 1 ? 2.0 * (n - 1) / n * 4.0 * peer.thetaGlobal().length : Double.NaN;
        return new MeshDiloco.RoundOutcome(round.round(), n, leader, round.innerLoss(), valLoss, peer.globalHash(),
                sent, butterfly.bytesReceived() - round.received0(), millis, sent > 0 ? fp32Bytes / sent : Double.NaN,
                done.result().faults().size(), round.tokensPerS());
    }

    private static <T> T await(CompletableFuture<T> future, String what) throws InterruptedException {
        try {
            return future.get(1, TimeUnit.HOURS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot " + what + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("cannot " + what + ": no result within an hour", e);
        }
    }
}
