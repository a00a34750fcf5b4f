package dev.starling.training.pipeline;

import dev.starling.fault.checkfree.OutOfOrderSchedule;
import dev.starling.fault.checkfree.RecoveryPlan;
import dev.starling.fault.checkfree.StageFailureSchedule;
import dev.starling.fault.checkfree.Strategy;
import dev.starling.model.Gpt;
import dev.starling.model.GptStage;
import dev.starling.model.data.TokenDataset;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.emulation.LinkEmulation;
import dev.starling.p2p.emulation.LinkProfile;
import dev.starling.p2p.host.HostBuilder;
import dev.starling.p2p.transport.memory.MemoryNetwork;
import dev.starling.tensor.cpu.ParallelFor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The CheckFree experiment over the mesh: the same model, data, failure schedule and strategies as
 * {@link CheckfreeExperiment}, but every stage is a peer with its own libp2p host ({@link StageServer}), a trainer
 * host drives the micro-batches hop by hop ({@link PipelineClient}, bf16 activations and gradients over Noise +
 * yamux streams on loopback TCP or the in-memory transport, optionally through emulated links), and a stage failure
 * is its host closing. The trainer finds the stage gone on the next hop (STAGE_LOST), a fresh peer with a new host
 * joins the stage the router says is short ({@link StageRouter#stageToJoin}) and is initialised over the network:
 * <ul>
 *   <li>CHECKFREE / CHECKFREE_PLUS: {@link StageRejoin#rebuild} from the neighbours' served weights (CheckFree+
 *       micro-batches follow the swapped {@link OutOfOrderSchedule} on the stage peers, which check it, and stages 1
 *       and S-2 keep copies of the end stages, fetched after every iteration);</li>
 *   <li>CHECKPOINT_RESTART: every stage peer writes its local checkpoint each {@code checkpointEvery} steps; the
 *       joiner reads the lost stage's (as if its disk survived, which favours this baseline) and every other stage
 *       rolls back to its own;</li>
 *   <li>REDUNDANT: stage k keeps a replica of stage k+1 (fetched after every iteration) and runs its blocks on its
 *       output; the joiner copies the replica kept by stage k-1.</li>
 * </ul>
 * The two end stages sum their tied {@code wte} gradients over the network before every step. Measured per iteration:
 * wall-clock (compared) and the process's CPU time, both including failure detection, recovery, checkpoints and
 * copy refreshes; validations are excluded (they read the stage peers' weights in-process and run them locally).
 * Simulated: when failures happen (by iteration) and that a replacement peer is at hand at once.
 *
 * <p>Owner: the calling thread drives; every stage peer computes on its own thread; kernels share the given team
 * (with one thread it runs inline, so peers never contend for it).
 */
public final class MeshCheckfreeExperiment {
    private static final int MAX_RECOVERIES_PER_ITERATION = 4;

    private final CheckfreeExperiment.Settings settings;
    private final CheckfreeExperiment local;
    private final TokenDataset data;
    private final ParallelFor pool;
    private final Consumer<String> progress;
    private final Mesh mesh;

    /**
     * How the peers talk.
     *
     * @param tcp             loopback TCP (else the in-memory transport); Noise + yamux either way
     * @param link            emulated link on every connection, or null for none
     * @param hopTimeoutNanos how long a hop, a rebuild fetch or a tied-gradient wait may take
     */
    public record Mesh(boolean tcp, LinkProfile link, long hopTimeoutNanos) {
    }

    /**
     * Prepares the experiment.
     *
     * @param settings the knobs (as in process)
     * @param data     the dataset
     * @param pool     the kernels' worker team (the caller's)
     * @param progress receives one line per validation
     * @param mesh     how the peers talk
     */
    public MeshCheckfreeExperiment(CheckfreeExperiment.Settings settings, TokenDataset data, ParallelFor pool,
                                   Consumer<String> progress, Mesh mesh) {
        this.settings = settings;
        this.local = new CheckfreeExperiment(settings, data, pool, line -> { });
        this.data = data;
        this.pool = pool;
        this.progress = progress;
        this.mesh = mesh;
    }

    /** The peers of one run: a trainer and one stage peer per stage, each its own host. */
    private final class Cluster implements AutoCloseable {
        final Strategy strategy;
        final MemoryNetwork network = new MemoryNetwork();
        final LinkEmulation links;
        final List<Host> allHosts = new ArrayList<>();
        final Host trainer;
        final StageRouter<PeerId> router;
        final PipelineClient client;
        final StageServer[] servers;
        final Multiaddr[] addresses;
        final java.util.Map<Host, Multiaddr> addressOf = new java.util.HashMap<>();
        int hostCount;

        Cluster(Strategy strategy) throws Exception {
            this.strategy = strategy;
            int stages = settings.stages();
            links = mesh.link() == null ? null : LinkEmulation.uniform(mesh.link());
            trainer = newHost();
            router = new StageRouter<>(3, settings.seed());
            client = new PipelineClient(trainer, router, stages, settings.model().nEmbd(), mesh.hopTimeoutNanos(),
                    System::nanoTime);
            servers = new StageServer[stages];
            addresses = new Multiaddr[stages];
            try (Gpt whole = new Gpt(settings.model())) {
                whole.initGpt2(settings.seed());
                for (int k = 0; k < stages; k++) {
                    GptStage stage = new GptStage(settings.model(), k, stages);
                    stage.loadFrom(whole.parameters());
                    start(newHost(), new StageWorker(stage, settings.adamw()));
                }
            }
            wire();
        }

        Host newHost() throws Exception {
            HostBuilder b = new HostBuilder();
            if (links != null) {
                b.linkEmulation(links);
            }
            Host h = mesh.tcp() ? b.tcpTransport().build() : b.memoryTransport(network).build();
            String listen = mesh.tcp() ? "/ip4/127.0.0.1/tcp/0" : "/memory/cf-" + hostCount++;
            Multiaddr bound = h.listen(Multiaddr.fromString(listen)).get(30, TimeUnit.SECONDS);
            allHosts.add(h);
            addressOf.put(h, Multiaddr.fromString(bound + "/p2p/" + h.peerId()));
            return h;
        }

        void connect(Host from, int stage) throws Exception {
            from.dial(addresses[stage]).get(mesh.hopTimeoutNanos(), TimeUnit.NANOSECONDS);
        }

        /** A new stage peer: serves its worker's stage on {@code host}, joins the stage the router finds short. */
        void start(Host host, StageWorker worker) throws Exception {
            int k = worker.stage().index();
            StageServer server = new StageServer(host, worker, pool, settings.batch(), settings.model().blockSize(),
                    settings.microBatches(), 2 * settings.microBatches(),
                    strategy == Strategy.CHECKFREE_PLUS ? settings.swapPeriod() : 0, StageServer.Behaviour.HONEST);
            servers[k] = server;
            addresses[k] = addressOf.get(host);
            trainer.dial(addresses[k]).get(mesh.hopTimeoutNanos(), TimeUnit.NANOSECONDS);
            int joins = router.stageToJoin(settings.stages());
            if (joins != k) {
                throw new IllegalStateException("the router sends a joiner to stage " + joins + ", not " + k);
            }
            router.add(host.peerId(), joins);
        }

        /** Who sums the tied gradient with whom, and who keeps whose copy; dials the pairs. */
        void wire() throws Exception {
            int last = settings.stages() - 1;
            connect(servers[0].host(), last);
            servers[0].tiedPartner(servers[last].host().peerId(), mesh.hopTimeoutNanos());
            servers[last].tiedPartner(servers[0].host().peerId(), mesh.hopTimeoutNanos());
            if (strategy == Strategy.CHECKFREE_PLUS) {
                keep(1, 0, false);
                keep(last - 1, last, false);
            } else if (strategy == Strategy.REDUNDANT) {
                for (int k = 0; k <= last; k++) {
                    keep(k, (k + 1) % settings.stages(), true);
                }
            }
        }

        void keep(int keeper, int kept, boolean replicate) throws Exception {
            connect(servers[keeper].host(), kept);
            servers[keeper].keepCopyOf(servers[kept].host().peerId(), kept, replicate);
        }

        /** Waits for every stage's queued step, then refreshes the kept copies. */
        void settle() throws Exception {
            List<CompletableFuture<?>> pending = new ArrayList<>();
            for (StageServer s : servers) {
                pending.add(s.onCompute(w -> null));
            }
            CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(2 * mesh.hopTimeoutNanos(),
                    TimeUnit.NANOSECONDS);
            pending.clear();
            for (StageServer s : servers) {
                pending.add(s.refreshCopy());
            }
            CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(mesh.hopTimeoutNanos(),
                    TimeUnit.NANOSECONDS);
        }

        void schedule(float lr) {
            for (StageServer s : servers) {
                s.schedule(lr, settings.clip());
            }
        }

        /** The stage's peer goes away: its host closes (its connections drop), its state is gone. */
        void kill(int stage) {
            StageServer s = servers[stage];
            s.host().close();
            s.close();
        }

        Path checkpoint(int stage) {
            return settings.checkpointDir().resolve("mesh-stage-" + stage + ".bin");
        }

        void save() throws Exception {
            List<CompletableFuture<?>> pending = new ArrayList<>();
            for (int k = 0; k < servers.length; k++) {
                Path file = checkpoint(k);
                pending.add(servers[k].onCompute(w -> {
                    StageCheckpoint.save(w, file);
                    return null;
                }));
            }
            CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(mesh.hopTimeoutNanos(),
                    TimeUnit.NANOSECONDS);
        }

        /** Copies every stage peer's weights into a local pipeline for validation. */
        void snapshotInto(StagedPipeline eval) throws Exception {
            for (int k = 0; k < servers.length; k++) {
                float[] p = servers[k].onCompute(w -> w.stage().parameters().data().clone())
                        .get(2 * mesh.hopTimeoutNanos(), TimeUnit.NANOSECONDS);
                System.arraycopy(p, 0, eval.worker(k).stage().parameters().data(), 0, p.length);
            }
        }

        @Override
        public void close() {
            for (StageServer s : servers) {
                if (s != null) {
                    s.close();
                }
            }
            for (Host h : allHosts) {
                h.close();
            }
        }
    }

    /**
     * Runs one strategy at one failure rate until the target validation loss or {@code maxIterations}; without a
     * strategy, the nominal {@code steps} without failures.
     *
     * @param strategy    the strategy, null for no failures
     * @param ratePercent stage failure rate in % per hour
     * @param target      the validation loss to reach (NaN: run all nominal iterations)
     * @param cpuClock    nanoseconds of CPU time of the whole process
     * @return the outcome; {@code seconds} are wall-clock
     * @throws Exception when the mesh cannot be set up
     */
    public CheckfreeExperiment.Outcome run(Strategy strategy, int ratePercent, double target, LongSupplier cpuClock)
            throws Exception {
        CheckfreeExperiment.Settings s = settings;
        String name = strategy == null ? "no_failures" : strategy.name().toLowerCase(Locale.ROOT) + "@" + ratePercent;
        StageFailureSchedule failures = new StageFailureSchedule(s.stages(), s.maxIterations(),
                strategy == null ? 0 : ratePercent / 100.0, s.stepsPerHour(), s.graceSteps(), s.seed() * 31 + 7);
        OutOfOrderSchedule order = new OutOfOrderSchedule(s.stages(),
                strategy == Strategy.CHECKFREE_PLUS ? s.swapPeriod() : 0);
        List<CheckfreeExperiment.Point> curve = new ArrayList<>();
        long wall = 0;
        long cpu = 0;
        int failed = 0;
        double reachedAt = Double.NaN;
        int reachedIteration = -1;
        RunState st = new RunState();
        try (Cluster c = new Cluster(strategy);
             StagedPipeline eval = new StagedPipeline(s.model(), s.stages(), s.adamw(), s.batch(),
                     s.model().blockSize())) {
            if (strategy == Strategy.CHECKPOINT_RESTART) {
                long w0 = System.nanoTime();
                long c0 = cpuClock.getAsLong();
                c.save();
                st.recoveryNanos += System.nanoTime() - w0;
                wall += System.nanoTime() - w0;
                cpu += cpuClock.getAsLong() - c0;
            }
            c.snapshotInto(eval);
            curve.add(new CheckfreeExperiment.Point(0, 0, 0, 0, 0, local.evaluate(eval)));
            int limit = Double.isNaN(target) ? s.steps() : s.maxIterations();
            for (int it = 0; it < limit; it++) {
                long w0 = System.nanoTime();
                long c0 = cpuClock.getAsLong();
                int dies = failures.failedStage(it);
                if (dies >= 0) {
                    failed++;
                    c.kill(dies);
                }
                double loss = microBatches(c, st, name, order, it);
                if (st.lost || !Double.isFinite(loss)) {
                    st.lost = true;
                    break;
                }
                c.settle();
                st.step++;
                if (strategy == Strategy.CHECKPOINT_RESTART && st.step % s.checkpointEvery() == 0) {
                    long k0 = System.nanoTime();
                    c.save();
                    st.checkpointStep = st.step;
                    st.recoveryNanos += System.nanoTime() - k0;
                }
                wall += System.nanoTime() - w0;
                cpu += cpuClock.getAsLong() - c0;
                if ((it + 1) % s.evalEvery() == 0 || it + 1 == limit) {
                    c.snapshotInto(eval);
                    double val = local.evaluate(eval);
                    curve.add(new CheckfreeExperiment.Point(it + 1, st.step, wall / 1e9, wall / 1e9, cpu / 1e9, val));
                    progress.accept(String.format(Locale.ROOT, "%s it %d step %d val %.4f %.1f s wall %.1f s cpu%s",
                            name, it + 1, st.step, val, wall / 1e9, cpu / 1e9, failed > 0 ? " failures " + failed
                            : ""));
                    if (val <= target) {
                        reachedAt = wall / 1e9;
                        reachedIteration = it + 1;
                        break;
                    }
                }
            }
        }
        return new CheckfreeExperiment.Outcome(name, strategy, strategy == null ? 0 : ratePercent, curve, failed,
                st.lostSteps, st.recoveryNanos / 1e9, reachedAt, reachedIteration, st.lost);
    }

    /** What one run carries between iterations. */
    private static final class RunState {
        int step;
        int checkpointStep;
        int lostSteps;
        long recoveryNanos;
        boolean lost;
    }

    /**
     * One iteration's micro-batches through the mesh; a stage found lost is rebuilt and the iteration restarted.
     *
     * @return the summed micro-batch losses
     */
    private double microBatches(Cluster c, RunState st, String name, OutOfOrderSchedule order, int it) {
        CheckfreeExperiment.Settings s = settings;
        int n = s.batch() * s.model().blockSize();
        int[] x = new int[n];
        int[] y = new int[n];
        c.schedule(s.schedule().lr(st.step));
        double loss = 0;
        int recoveries = 0;
        for (int mb = 0; mb < s.microBatches(); mb++) {
            local.fill(data.train(), CheckfreeExperiment.mix(s.seed(), st.step, mb), x, y);
            long micro = (long) st.step * s.microBatches() + mb;
            MicroBatchResult r = c.client.run(micro, x, y, s.batch(), s.model().blockSize(), order.order(micro));
            if (r.status() == MicroBatchResult.Status.DONE) {
                loss += r.loss();
                continue;
            }
            // failures strike between iterations, so a lost stage shows on the first micro-batch; anything else
            // (a peer dropping mid-iteration) is not handled here and counts as a lost run
            if (r.status() != MicroBatchResult.Status.STAGE_LOST || ++recoveries > MAX_RECOVERIES_PER_ITERATION
                    || mb > 0) {
                progress.accept(name + ": micro-batch " + micro + " ended " + r.status() + "; run lost");
                st.lost = true;
                return Double.NaN;
            }
            long r0 = System.nanoTime();
            try {
                int back = recover(c, r.lostStage(), it, st.checkpointStep);
                if (back >= 0) {
                    st.lostSteps += st.step - back;
                    st.step = back;
                    c.schedule(s.schedule().lr(st.step));
                }
            } catch (Exception e) {
                progress.accept(name + ": rebuilding stage " + r.lostStage() + " failed: " + e);
                st.lost = true;
                return Double.NaN;
            }
            st.recoveryNanos += System.nanoTime() - r0;
            mb = -1;
            loss = 0;
        }
        return loss;
    }

    /**
     * A fresh peer takes over a stage that lost all its peers; returns the step training continues from (-1: the
     * same step).
     */
    private int recover(Cluster c, int lostStage, int iteration, int checkpointStep) throws Exception {
        int stages = settings.stages();
        Host joiner = c.newHost();
        GptStage stage = new GptStage(settings.model(), lostStage, stages);
        RecoveryPlan plan = RecoveryPlan.of(c.strategy, lostStage, stages);
        if (plan.source() == RecoveryPlan.Source.CHECKPOINT) {
            StageWorker worker = new StageWorker(stage, settings.adamw());
            StageCheckpoint.load(worker, c.checkpoint(lostStage));
            List<CompletableFuture<?>> pending = new ArrayList<>();
            for (int k = 0; k < stages; k++) {
                if (k != lostStage) {
                    Path file = c.checkpoint(k);
                    pending.add(c.servers[k].onCompute(w -> {
                        StageCheckpoint.load(w, file);
                        return null;
                    }));
                }
            }
            CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(mesh.hopTimeoutNanos(),
                    TimeUnit.NANOSECONDS);
            c.start(joiner, worker);
            c.wire();
            return checkpointStep;
        }
        PeerId[] sources = new PeerId[plan.neighbours().length];
        for (int i = 0; i < sources.length; i++) {
            c.connect(joiner, plan.neighbours()[i]);
            sources[i] = c.servers[plan.neighbours()[i]].host().peerId();
        }
        PeerId endsFrom = plan.endLayersFrom() >= 0 ? c.servers[plan.endLayersFrom()].host().peerId() : null;
        PeerId otherEnd = null;
        if (endsFrom == null && plan.source() == RecoveryPlan.Source.COPY) {
            int other = lostStage == 0 ? stages - 1 : 0;
            c.connect(joiner, other);
            otherEnd = c.servers[other].host().peerId();
        }
        StageRejoin.rebuild(joiner, plan, sources, endsFrom, otherEnd, stage, settings.seed() + iteration)
                .get(mesh.hopTimeoutNanos(), TimeUnit.NANOSECONDS);
        c.start(joiner, new StageWorker(stage, settings.adamw()));
        c.wire();
        c.settle();
        return -1;
    }
}
