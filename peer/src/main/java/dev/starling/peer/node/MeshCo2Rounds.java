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
import dev.starling.tensor.cpu.ParallelFor;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One peer's CO2 loop over the mesh (DESIGN §3 step 5): round r's matchmaking and butterfly all-reduce run in the
 * background (owner executor, event loops) while round r+1's inner steps compute on the training thread. When
 * round r+1's inner phase ends the peer takes its update Δ_{r+1}, launches round r+1's exchange, and only then
 * applies round r's aggregate, one round late with the staleness penalty and momentum clipping
 * ({@link DilocoPeer#applyOverlapped}), rebasing θ_local so round r+1's inner progress is kept. A peer whose H steps
 * end before round r's exchange does (it is faster than the slowest member, whose contribution the exchange waits
 * for) keeps taking inner steps until the exchange is done, up to 2H, and enters round r+1 weighted by the samples it
 * processed; the training thread waits only if the exchange is slower than that. After the last round it waits for
 * the last exchange (the drain) and applies it.
 *
 * <pre>
 *   inner(r+1) (+ steps while exchange(r) runs) ─┬─ await exchange(r) ─ takeUpdate ─ launch exchange(r+1)
 *       ─ apply(r) ─ inner(r+2) ...
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
    /** Makes the leader's background evaluator on the given worker team. */
    private final Function<ParallelFor, Evaluator> evaluators;
    private final PeerId self;
    private final Supplier<List<String>> dialable;
    private final BiConsumer<PeerId, List<String>> connect;
    /** Written and read on the training thread only. */
    private Co2Timing timing = Co2Timing.NONE;
    /** Applied rounds not yet handed to the listener (training thread only). */
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    /** The leader's background evaluation: made on first use, closed at the end of {@link #run}. */
    private ExecutorService evalThread;
    /** Touched only on {@link #evalThread}. */
    private ParallelFor evalPool;
    /** Touched only on {@link #evalThread}. */
    private Evaluator evalModel;

    /** What one round's background exchange ended with; {@code result} is null when the round had no group. */
    private record Exchange(List<PeerId> members, ButterflyResult result, long endNanos) {
    }

    /** An applied round and, for the leader, its validation loss still being computed. */
    private record Pending(MeshDiloco.RoundOutcome outcome, CompletableFuture<Double> valLoss) {
    }

    /** A round whose exchange runs in the background. */
    private record InFlight(long round, double innerLoss, double tokensPerS, long startNanos, long sent0,
                            long received0, CompletableFuture<Exchange> exchange) {
    }

    MeshCo2Rounds(RunManifest manifest, TrainConfig config, DilocoPeer peer, MeshButterfly butterfly,
                  MeshMatchmaker matchmaker, Function<ParallelFor, Evaluator> evaluators, PeerId self,
                  Supplier<List<String>> dialable, BiConsumer<PeerId, List<String>> connect) {
        this.manifest = manifest;
        this.config = config;
        this.peer = peer;
        this.butterfly = butterfly;
        this.matchmaker = matchmaker;
        this.evaluators = evaluators;
        this.self = self;
        this.dialable = dialable;
        this.connect = connect;
    }

    /**
     * Runs rounds until {@code rounds} are done (0: forever) or {@code stop} says so, then drains the last exchange.
     * The round leader's validation loss is computed on a background thread from a copy of θ_global, so the
     * training thread goes straight on with the next inner phase; the leader's outcome reaches {@code listener} at
     * the first round boundary after that evaluation ended (at the latest after the drain). Rounds reach the
     * listener in order.
     *
     * @param rounds   rounds to run, 0 for no limit
     * @param stop     checked after each inner phase
     * @param listener told about every round once its aggregate is applied (one round late), on this thread
     * @throws InterruptedException if interrupted while waiting for an exchange
     */
    void run(int rounds, BooleanSupplier stop, MeshDiloco.Listener listener) throws InterruptedException {
        InFlight previous = null;
        long innerNanos = 0;
        long gapNanos = 0;
        long waitNanos = 0;
        int boundaries = 0;
        int waits = 0;
        long stepsTaken = 0;
        long innerEnd = -1;
        try {
            for (long round = 1; (rounds == 0 || round <= rounds) && !stop.getAsBoolean(); round++) {
                long innerStart = System.nanoTime();
                gapNanos += innerEnd < 0 ? 0 : innerStart - innerEnd;
                double innerLoss = peer.innerPhase();
                int steps = manifest.inner().steps();
                // a peer faster than the slowest member would now wait for the previous all-reduce: it keeps
                // training instead (at most H more steps) and is weighted by the samples it processed
                double lossSum = innerLoss * steps;
                while (previous != null && !previous.exchange().isDone() && steps < 2 * manifest.inner().steps()) {
                    lossSum += peer.innerPhase(null, 0L, System::nanoTime); // exactly one step
                    steps++;
                }
                innerLoss = lossSum / steps;
                stepsTaken += steps;
                innerEnd = System.nanoTime();
                innerNanos += innerEnd - innerStart;
                double tokensPerS = (double) steps * config.batchSize() * config.seqLen()
                        / ((innerEnd - innerStart) / 1e9);
                if (stop.getAsBoolean()) {
                    break;
                }
                boolean waited = previous != null && !previous.exchange().isDone();
                Exchange done = previous == null ? null : await(previous.exchange(), "finish round "
                        + previous.round() + "'s all-reduce");
                waitNanos += System.nanoTime() - innerEnd;
                waits += waited ? 1 : 0;
                boundaries++;
                peer.takeUpdate(); // the update of this round; the exchange of the previous one no longer reads it
                InFlight current = launch(round, innerLoss, tokensPerS, (long) steps * config.batchSize());
                if (previous != null) {
                    pending.add(apply(previous, done));
                } else {
                    peer.applyOverlapped(null); // nothing to apply yet; rebase like the in-process path
                }
                deliver(listener, false);
                previous = current;
                timing = new Co2Timing(boundaries, innerNanos, gapNanos + System.nanoTime() - innerEnd, waitNanos,
                        waits, stepsTaken);
            }
            if (previous != null) {
                pending.add(apply(previous, await(previous.exchange(), "finish round " + previous.round()
                        + "'s all-reduce")));
            }
            deliver(listener, true);
        } finally {
            closeEvaluation();
        }
    }

    /**
     * Where the training thread's time went, from the first inner phase to the end of the last round boundary (the
     * final drain not included).
     *
     * @return the sums; read on the training thread or after {@link #run} returned
     */
    Co2Timing timing() {
        return timing;
    }

    /** Hands finished rounds to the listener in order; a leader's round waits for its evaluation unless {@code all}. */
    private void deliver(MeshDiloco.Listener listener, boolean all) throws InterruptedException {
        while (!pending.isEmpty()) {
            Pending p = pending.getFirst();
            if (p.valLoss() != null && !p.valLoss().isDone() && !all) {
                return;
            }
            pending.removeFirst();
            MeshDiloco.RoundOutcome o = p.outcome();
            if (p.valLoss() != null) {
                double v = await(p.valLoss(), "evaluate round " + o.round());
                o = new MeshDiloco.RoundOutcome(o.round(), o.groupSize(), o.leader(), o.innerLoss(), v,
                        o.stateHash(), o.bytesSent(), o.bytesReceived(), o.roundMillis(), o.compressionRatio(),
                        o.faults(), o.tokensPerS());
            }
            listener.onRound(o);
        }
    }

    /** Evaluates a copy of θ_global on the background evaluation thread (made on first use). */
    private CompletableFuture<Double> evaluateInBackground(float[] theta) {
        if (evalThread == null) {
            evalThread = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().daemon()
                    .name("co2-eval-" + peer.name()).unstarted(r));
        }
        float[] copy = theta.clone();
        return CompletableFuture.supplyAsync(() -> {
            if (evalPool == null) {
                evalPool = new ParallelFor(1);
                evalModel = evaluators.apply(evalPool);
            }
            return evalModel.loss(copy);
        }, evalThread);
    }

    private void closeEvaluation() throws InterruptedException {
        if (evalThread == null) {
            return;
        }
        evalThread.submit(() -> {
            if (evalModel != null) {
                evalModel.close();
                evalPool.close();
            }
        });
        evalThread.shutdown();
        if (!evalThread.awaitTermination(1, TimeUnit.MINUTES)) {
            evalThread.shutdownNow();
        }
        evalThread = null;
    }

    private InFlight launch(long round, double innerLoss, double tokensPerS, long samples) {
        long start = System.nanoTime();
        long sent0 = butterfly.bytesSent();
        long received0 = butterfly.bytesReceived();
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

    /**
     * On the training thread: applies a finished round one round late and describes it; the leader's validation loss
     * follows from the background evaluation.
     */
    private Pending apply(InFlight round, Exchange done) {
        long millis = (done.endNanos() - round.startNanos()) / 1_000_000;
        if (done.result() == null) {
            peer.applyOverlapped(null);
            return new Pending(new MeshDiloco.RoundOutcome(round.round(), 0, false, round.innerLoss(), Double.NaN,
                    peer.globalHash(), 0, 0, millis, Double.NaN, 0, round.tokensPerS()), null);
        }
        peer.applyOverlapped(done.result());
        boolean leader = done.members().getFirst().equals(self);
        long sent = butterfly.bytesSent() - round.sent0();
        int n = done.members().size();
        double fp32Bytes = n > 1 ? 2.0 * (n - 1) / n * 4.0 * peer.thetaGlobal().length : Double.NaN;
        return new Pending(new MeshDiloco.RoundOutcome(round.round(), n, leader, round.innerLoss(), Double.NaN,
                peer.globalHash(), sent, butterfly.bytesReceived() - round.received0(), millis,
                sent > 0 ? fp32Bytes / sent : Double.NaN, done.result().faults().size(), round.tokensPerS()),
                leader ? evaluateInBackground(peer.thetaGlobal()) : null);
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
