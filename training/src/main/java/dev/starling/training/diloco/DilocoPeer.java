package dev.starling.training.diloco;

import dev.starling.collectives.aggregate.Aggregator;
import dev.starling.collectives.butterfly.ButterflyConfig;
import dev.starling.collectives.butterfly.ButterflyMember;
import dev.starling.collectives.butterfly.ButterflyResult;
import dev.starling.collectives.butterfly.PartSplit;
import dev.starling.collectives.codec.ErrorFeedback;
import dev.starling.fault.sync.StateImage;
import dev.starling.model.Gpt;
import dev.starling.model.data.TokenDataset;
import dev.starling.optimizer.outer.Co2OuterOptimizer;
import dev.starling.optimizer.outer.OuterNesterov;
import dev.starling.tensor.cpu.ParallelFor;
import dev.starling.training.TrainConfig;
import dev.starling.training.Trainer;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * One DiLoCo peer's state, without I/O: its own GPT and inner AdamW ({@link Trainer}, whose state stays local
 * across rounds and whose learning rate is a pure function of the global inner step), the shared θ_global, the outer
 * optimizer and an error-feedback residual for its updates. A round is
 *
 * <pre>
 *   innerPhase()                     H AdamW steps on this peer's data shard
 *   beginRound(...)                  Δ = θ_global − θ_local (CO2: roundStart − θ_local); a ButterflyMember for Δ
 *   (the group exchange runs the butterfly all-reduce)
 *   finishRound(result)              blocking: outer Nesterov step on θ_global with the aggregate; θ_local ← θ_global
 *                                    CO2: apply the previous round's aggregate (penalised, momentum clipped), keep
 *                                    this one for the next round, rebase θ_local without losing its inner progress
 * </pre>
 *
 * <p>Every honest peer that applies the same aggregates holds bit-identical θ_global ({@link #globalHash()}).
 * Owner: the simulation thread; {@link #close()} frees the model and optimizer buffers.
 */
public final class DilocoPeer implements AutoCloseable {
    private static final String THETA = "theta";
    private static final String NESTEROV = "outer.nesterov.momentum";
    private static final String CO2_MOMENTUM = "outer.co2.momentum";
    private static final String CO2_STEP_NORM = "outer.co2.last-step-norm";
    private static final String CO2_PENDING = "outer.co2.pending";
    private final int index;
    private final OuterConfig outer;
    private final long runIdHash;
    private final Gpt gpt;
    private final Trainer trainer;
    private final float[] thetaGlobal;
    private final float[] roundStart;
    private final float[] delta;
    private final ErrorFeedback errorFeedback;
    private final OuterNesterov nesterov;
    private final Co2OuterOptimizer co2;
    private float[] pending;
    private float deltaScale = 1f;
    private Aggregator reducer;
    private double lastInnerLoss = Double.NaN;
    private int lastInnerSteps;

    /**
     * Creates a peer whose model starts at the run's shared initialisation.
     *
     * @param index     this peer's number in the run (its data shard is derived from it and the run seed)
     * @param inner     the inner loop's settings; its seed is the run seed
     * @param outer     the outer round's settings
     * @param data      the dataset (shared, read-only)
     * @param pool      the worker team (owned by the caller)
     * @param runIdHash the run id hash every chunk carries
     */
    public DilocoPeer(final int index, final TrainConfig inner, final OuterConfig outer, final TokenDataset data,
                      final ParallelFor pool, final long runIdHash) {
        this.index = index;
        this.outer = outer;
        this.runIdHash = runIdHash;
        this.gpt = new Gpt(inner.model());
        gpt.initGpt2(inner.seed());
        this.trainer = new Trainer(Shards.forPeer(inner, index), gpt, data, pool);
        float[] theta = gpt.parameters().data();
        this.thetaGlobal = theta.clone();
        this.roundStart = theta.clone();
        this.delta = new float[theta.length];
        this.errorFeedback = outer.errorFeedback() ? new ErrorFeedback(theta.length) : null;
        this.nesterov = outer.overlapped() ? null : new OuterNesterov(theta.length, outer.nesterov());
        this.co2 = outer.overlapped() ? new Co2OuterOptimizer(theta.length, outer.co2()) : null;
    }

    /**
     * Turns this peer into a sign-flip attacker: it sends {@code -scale·Δ} instead of Δ (1 is honest).
     *
     * @param scale the factor applied to its updates
     */
    public void scaleUpdates(final float scale) {
        this.deltaScale = scale;
    }

    /**
     * Makes this peer reduce its part with {@code rule} instead of the run's aggregator (a lying reducer, for
     * experiments and {@code --attack lying-reducer}).
     *
     * @param rule the rule, or {@code null} for the run's
     */
    public void reduceWith(final Aggregator rule) {
        this.reducer = rule;
    }

    /**
     * Runs H inner steps.
     *
     * @return the mean training loss over them
     */
    public double innerPhase() {
        return innerPhase(null);
    }

    /** Told after each inner step, on the training thread (for a peer's live progress line). */
    public interface StepListener {
        /**
         * One inner step is done.
         *
         * @param step the steps done in this phase, 1..H
         * @param of   H
         * @param loss the step's training loss
         */
        void onStep(int step, int of, double loss);
    }

    /**
     * Runs H inner steps, telling {@code listener} after each.
     *
     * @param listener told after every step, or null
     * @return the mean training loss over them
     */
    public double innerPhase(final StepListener listener) {
        return innerPhase(listener, Long.MAX_VALUE, System::nanoTime);
    }

    /**
     * Runs inner steps until H are done or {@code budgetNanos} has passed, whichever comes first, but at least one
     * (heterogeneous peers: a faster one does more steps inside the round's time and is weighted by its samples).
     *
     * @param listener    told after every step, or null
     * @param budgetNanos the time budget ({@code Long.MAX_VALUE}: exactly H steps)
     * @param clock       monotonic nanoseconds
     * @return the mean training loss over the steps done ({@link #lastInnerStepCount()} of them)
     */
    public double innerPhase(final StepListener listener, final long budgetNanos,
                             final java.util.function.LongSupplier clock) {
        long start = budgetNanos == Long.MAX_VALUE ? 0 : clock.getAsLong();
        double sum = 0;
        int s = 0;
        while (s < outer.innerSteps() && (s == 0 || budgetNanos == Long.MAX_VALUE
                || clock.getAsLong() - start < budgetNanos)) {
            double loss = trainer.step();
            sum += loss;
            s++;
            if (listener != null) {
                listener.onStep(s, outer.innerSteps(), loss);
            }
        }
        lastInnerSteps = s;
        lastInnerLoss = sum / s;
        return lastInnerLoss;
    }

    /**
     * Inner steps the last inner phase ran (H unless a time budget cut it short).
     *
     * @return the step count
     */
    public int lastInnerStepCount() {
        return lastInnerSteps;
    }

    /**
     * Computes this round's update and the butterfly member that sends it.
     *
     * @param round     the round number
     * @param roster    the round's members, by name, in roster order
     * @param deadlines the round's deadlines on the exchange's clock
     * @return the member (its update is {@link #update()})
     */
    public ButterflyMember beginRound(final long round, final List<String> roster,
                                      final GroupExchange.Deadlines deadlines) {
        return beginRound(round, roster, deadlines, null);
    }

    /**
     * Computes this round's update and the butterfly member that sends it, weighting members in the aggregate.
     *
     * @param round     the round number
     * @param roster    the round's members, by name, in roster order
     * @param deadlines the round's deadlines on the exchange's clock
     * @param weights   per-member weights in roster order (samples each processed), or null for equal weights
     * @return the member (its update is {@link #update()})
     */
    public ButterflyMember beginRound(final long round, final List<String> roster,
                                      final GroupExchange.Deadlines deadlines, final double[] weights) {
        if (!roster.contains(name())) {
            throw new IllegalArgumentException(name() + " is not in the roster " + roster);
        }
        takeUpdate();
        return memberFor(round, roster, deadlines, weights);
    }

    /**
     * The first half of {@link #beginRound}: Δ = θ_global − θ_local (CO2: roundStart − θ_local) into
     * {@link #update()}. A network peer with overlap takes Δ when its inner phase ends and builds the member later,
     * once matchmaking has named the group.
     */
    public void takeUpdate() {
        float[] local = gpt.parameters().data();
        OuterNesterov.pseudoGradient(outer.overlapped() ? roundStart : thetaGlobal, local, delta);
        if (deltaScale != 1f) {
            for (int i = 0; i < delta.length; i++) {
                delta[i] *= deltaScale;
            }
        }
    }

    /**
     * The second half of {@link #beginRound}: a butterfly member for the update last taken. Reads no model state,
     * so it may run on another thread while the next inner phase computes (the update must stay untouched until
     * the member has started).
     *
     * @param round     the round number
     * @param roster    the round's members, by name, in roster order
     * @param deadlines the round's deadlines on the exchange's clock
     * @return the member
     */
    public ButterflyMember memberFor(final long round, final List<String> roster,
                                     final GroupExchange.Deadlines deadlines) {
        return memberFor(round, roster, deadlines, null);
    }

    /**
     * {@link #memberFor(long, List, GroupExchange.Deadlines)} with per-member weights in the aggregate.
     *
     * @param round     the round number
     * @param roster    the round's members, by name, in roster order
     * @param deadlines the round's deadlines on the exchange's clock
     * @param weights   per-member weights in roster order (samples each processed), or null for equal weights
     * @return the member
     */
    public ButterflyMember memberFor(final long round, final List<String> roster,
                                     final GroupExchange.Deadlines deadlines, final double[] weights) {
        int self = roster.indexOf(name());
        if (self < 0) {
            throw new IllegalArgumentException(name() + " is not in the roster " + roster);
        }
        ButterflyConfig config = new ButterflyConfig(roster, self, delta.length, PartSplit.even(),
            outer.contributionCodec(), outer.aggregateCodec(), reducer != null ? reducer : outer.aggregator(),
            weights, null, runIdHash, round, deadlines.reduceNanos(), deadlines.gatherNanos());
        return new ButterflyMember(config, errorFeedback);
    }

    /**
     * This round's update Δ, as {@link #beginRound} computed it.
     *
     * @return the update (owned by this peer; valid until the next round)
     */
    public float[] update() {
        return delta;
    }

    /**
     * Applies the round's aggregate (blocking DiLoCo) or the previous round's (CO2), and moves θ_local.
     *
     * @param result what the butterfly ended with on this peer
     */
    public void finishRound(final ButterflyResult result) {
        float[] local = gpt.parameters().data();
        if (!outer.overlapped()) {
            nesterov.step(thetaGlobal, result.aggregate());
            System.arraycopy(thetaGlobal, 0, local, 0, local.length);
            return;
        }
        if (pending != null) {
            co2.step(thetaGlobal, pending);
        }
        pending = result.aggregate().clone();
        Co2OuterOptimizer.rebaseLocal(local, roundStart, thetaGlobal);
    }

    /**
     * CO2 over a network, where round r's all-reduce finishes while round r+1 computes: called when round r+1's
     * inner phase has ended and its update was taken ({@link #takeUpdate}), it applies round r's aggregate one
     * round late (staleness penalty, momentum clipping) and rebases θ_local onto the new θ_global keeping round
     * r+1's inner progress, which reaches θ_global through round r+1's own aggregate. Unlike {@link #finishRound}
     * it keeps nothing pending.
     *
     * @param staleResult round r's result, or {@code null} when there is none to apply (the first round, or a round
     *                    without a group): then only the rebase runs, as {@link #finishRound} does with nothing
     *                    pending, so both paths stay bit-identical
     * @throws IllegalStateException if this peer does not run CO2
     */
    public void applyOverlapped(final ButterflyResult staleResult) {
        if (!outer.overlapped()) {
            throw new IllegalStateException("applyOverlapped needs the co2 outer optimizer");
        }
        if (staleResult != null) {
            co2.step(thetaGlobal, staleResult.aggregate());
        }
        Co2OuterOptimizer.rebaseLocal(gpt.parameters().data(), roundStart, thetaGlobal);
    }

    /**
     * CO2 only: applies the last pending aggregate at the end of training (the network version waits for the last
     * all-reduce here) and moves θ_local onto θ_global. A no-op for blocking DiLoCo.
     */
    public void flush() {
        if (outer.overlapped() && pending != null) {
            co2.step(thetaGlobal, pending);
            pending = null;
            float[] local = gpt.parameters().data();
            System.arraycopy(thetaGlobal, 0, local, 0, local.length);
            System.arraycopy(thetaGlobal, 0, roundStart, 0, local.length);
        }
    }

    /**
     * The shared state after a round, for joiners: θ_global, then the outer optimizer's state (Nesterov momentum, or
     * CO2's momentum, last step norm and pending aggregate), with the inner-step count.
     *
     * @param round the round it is the result of
     * @return a copy
     */
    public StateImage exportState(final long round) {
        List<StateImage.Section> sections = new ArrayList<>();
        sections.add(StateImage.Section.ofFloats(THETA, thetaGlobal));
        if (!outer.overlapped()) {
            sections.add(StateImage.Section.ofFloats(NESTEROV, nesterov.momentum()));
        } else {
            sections.add(StateImage.Section.ofFloats(CO2_MOMENTUM, co2.momentum()));
            sections.add(new StateImage.Section(CO2_STEP_NORM, ByteBuffer.allocate(8)
                    .putDouble(co2.lastStepNorm()).array()));
            if (pending != null) {
                sections.add(StateImage.Section.ofFloats(CO2_PENDING, pending));
            }
        }
        return new StateImage(round, trainer.steps(), sections);
    }

    /**
     * Takes over a verified shared state (a joiner, a restarted peer, or a peer whose θ hash differed): θ_global and
     * θ_local become the state's θ, the outer optimizer's state is restored, and the inner loop continues from the
     * state's step (schedule and data position). The inner AdamW moments and the error-feedback residual stay local.
     *
     * @param state the state; its sections must have this model's sizes
     */
    public void importState(final StateImage state) {
        float[] theta = state.section(THETA).floats();
        if (theta.length != thetaGlobal.length) {
            throw new IllegalArgumentException("state of " + theta.length + " parameters for a model of "
                + thetaGlobal.length);
        }
        if (!outer.overlapped()) {
            nesterov.restoreMomentum(state.section(NESTEROV).floats());
        } else {
            co2.restore(state.section(CO2_MOMENTUM).floats(),
                ByteBuffer.wrap(state.section(CO2_STEP_NORM).bytes()).getDouble());
            pending = state.sections().stream().anyMatch(s -> s.name().equals(CO2_PENDING))
                ? state.section(CO2_PENDING).floats() : null;
        }
        System.arraycopy(theta, 0, thetaGlobal, 0, theta.length);
        System.arraycopy(theta, 0, gpt.parameters().data(), 0, theta.length);
        System.arraycopy(theta, 0, roundStart, 0, theta.length);
        if (state.innerSteps() > trainer.steps()) {
            trainer.resumeAt(Math.toIntExact(state.innerSteps()));
        }
    }

    /**
     * The shared parameters every honest peer holds identically after a round.
     *
     * @return θ_global (owned by this peer; do not modify)
     */
    public float[] thetaGlobal() {
        return thetaGlobal;
    }

    /**
     * The hash the peer would gossip after a round.
     *
     * @return SHA-256 of θ_global's bytes
     */
    public String globalHash() {
        return StateHash.of(thetaGlobal);
    }

    /**
     * This peer's local model.
     *
     * @return the GPT it trains
     */
    public Gpt model() {
        return gpt;
    }

    /**
     * This peer's number in the run.
     *
     * @return the index
     */
    public int index() {
        return index;
    }

    /**
     * The name this peer has in rosters.
     *
     * @return {@code peer-<index>}
     */
    public String name() {
        return "peer-" + index;
    }

    /**
     * The mean training loss of the last inner phase.
     *
     * @return the loss, NaN before the first phase
     */
    public double lastInnerLoss() {
        return lastInnerLoss;
    }

    /**
     * Inner steps taken so far (the global inner step the schedule is at).
     *
     * @return the step count
     */
    public int innerSteps() {
        return trainer.steps();
    }

    /**
     * The error-feedback residual's norm.
     *
     * @return the norm, 0 without error feedback
     */
    public double residualNorm() {
        return errorFeedback == null ? 0 : errorFeedback.residualNorm();
    }

    /** Frees the model and the inner optimizer. */
    @Override
    public void close() {
        trainer.close();
        gpt.close();
    }
}
