package dev.starling.training.pipeline;

import dev.starling.model.Activations;
import dev.starling.fault.checkfree.OutOfOrderSchedule;
import dev.starling.model.GptStage;
import dev.starling.p2p.codec.LengthPrefixedFrames;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.core.Stream;
import dev.starling.p2p.core.StreamHandler;
import dev.starling.tensor.TensorView;
import dev.starling.tensor.cpu.ParallelFor;
import io.netty.buffer.ByteBuf;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One peer serving one pipeline stage on {@link PipelineFrame#PROTOCOL}: each inbound stream carries one request
 * frame and gets one answer. FORWARD runs the parts of the stage its {@link HopPlan} hop names (with the head, also
 * the backward, answering d(input) and the loss); BACKWARD runs the backward of a hop this peer ran forward, and every
 * {@code accumulate} completed micro-batches the {@link StageWorker} takes an optimizer step, queued behind the
 * answer. The two end stages first sum their tied {@code wte} gradients ({@link TiedEmbeddingExchange}). A request
 * for another stage, from a stage that does not precede it in the micro-batch's plan (in order, or CheckFree+'s
 * swapped order derived from the micro-batch id), of the wrong shape, or with NaN/Inf, is answered with REJECT.
 * Beside its own weights the server may keep a neighbour's ({@link #keepCopyOf}); both are served to rebuilding
 * peers on {@link StageRejoin#PROTOCOL}.
 *
 * <p>Threads: decoding and checks run on the stream's owner thread; the model runs on this server's own compute
 * thread, which owns the {@link StageWorker}; {@link #onCompute} lets other code (averaging, recovery) run there too.
 * Saved activations are kept for at most {@code maxInFlight} micro-batches (the oldest is evicted).
 */
public final class StageServer implements AutoCloseable {
    /** How a server behaves; anything but HONEST exists to test the clients' defences. */
    public enum Behaviour {
        /** Computes and answers correctly. */
        HONEST,
        /** Answers forwards with NaN activations. */
        NAN_OUTPUT,
        /** Answers forwards claiming to be another stage. */
        WRONG_STAGE
    }

    private final Host host;
    private final StageWorker worker;
    private final ParallelFor pool;
    private final int batch;
    private final int seq;
    private final int accumulate;
    private final int maxInFlight;
    private final Behaviour behaviour;
    private final OutOfOrderSchedule order;
    private final TiedEmbeddingExchange tied;
    private final ExecutorService compute = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "stage-compute");
        t.setDaemon(true);
        return t;
    });
    private final Map<Long, Activations> inFlight = new LinkedHashMap<>();
    private final ArrayDeque<Activations> free = new ArrayDeque<>();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicLong served = new AtomicLong();
    private final AtomicLong tiedMisses = new AtomicLong();
    private volatile byte[] published;
    private volatile byte[] publishedEnds;
    private volatile float lr;
    private volatile float clipNorm;
    private volatile long tiedTimeoutNanos = TimeUnit.SECONDS.toNanos(30);
    private volatile float[] kept = new float[0];
    private volatile PeerId keepOf;
    private volatile boolean replicate;
    private volatile int keepStage;
    private float[] replicaLoaded;
    private GptStage replica;
    private Activations replicaActs;

    /**
     * Starts serving.
     *
     * @param host        the peer's host
     * @param worker      the stage and its optimizer (owned from now on)
     * @param pool        the worker team for the kernels (the caller's)
     * @param batch       B of every micro-batch
     * @param seq         T of every micro-batch
     * @param accumulate  backwards per optimizer step
     * @param maxInFlight micro-batches whose activations are kept for their backward
     * @param behaviour   HONEST outside tests
     */
    @SuppressWarnings("checkstyle:ParameterNumber")
    public StageServer(Host host, StageWorker worker, ParallelFor pool, int batch, int seq, int accumulate,
                       int maxInFlight, Behaviour behaviour) {
        this(host, worker, pool, batch, seq, accumulate, maxInFlight, 0, behaviour);
    }

    /**
     * Starts serving, with CheckFree+'s out-of-order micro-batches.
     *
     * @param host        the peer's host
     * @param worker      the stage and its optimizer (owned from now on)
     * @param pool        the worker team for the kernels (the caller's)
     * @param batch       B of every micro-batch
     * @param seq         T of every micro-batch
     * @param accumulate  backwards per optimizer step
     * @param maxInFlight micro-batches whose activations are kept for their backward
     * @param swapPeriod  the {@link OutOfOrderSchedule} period every peer of the run uses (0: always in order)
     * @param behaviour   HONEST outside tests
     */
    @SuppressWarnings("checkstyle:ParameterNumber")
    public StageServer(Host host, StageWorker worker, ParallelFor pool, int batch, int seq, int accumulate,
                       int maxInFlight, int swapPeriod, Behaviour behaviour) {
        if (accumulate < 1 || maxInFlight < 1) {
            throw new IllegalArgumentException("accumulate and maxInFlight must be positive, got " + accumulate + ", "
                    + maxInFlight);
        }
        this.host = host;
        this.worker = worker;
        this.pool = pool;
        this.batch = batch;
        this.seq = seq;
        this.accumulate = accumulate;
        this.maxInFlight = maxInFlight;
        this.behaviour = behaviour;
        this.order = new OutOfOrderSchedule(worker.stage().count(), swapPeriod);
        this.lr = 1e-3f;
        this.clipNorm = 1f;
        GptStage s = worker.stage();
        this.tied = (s.isFirst() || s.isLast()) && s.count() > 1
                ? new TiedEmbeddingExchange(host, s.parameters().layout().view("wte").size()) : null;
        host.setHandler(PipelineFrame.PROTOCOL, stream -> new RequestHandler());
        publishWeights();
        dev.starling.p2p.protocol.oneshot.OneMessageProtocol.serve(host, StageRejoin.PROTOCOL, () -> published);
        if (s.isFirst() || s.isLast()) {
            dev.starling.p2p.protocol.oneshot.OneMessageProtocol.serve(host, StageRejoin.ENDS_PROTOCOL,
                    () -> publishedEnds);
        }
    }

    /** Runs on the compute thread: what {@link StageRejoin} serves to a peer rebuilding a neighbouring stage. */
    private void publishWeights() {
        published = StageRejoin.encode(worker, kept);
        GptStage s = worker.stage();
        if (s.isFirst() || s.isLast()) {
            publishedEnds = StageRejoin.encodeEnds(worker);
        }
    }

    /**
     * Sets the peer serving the other end of the pipeline, with which this end (stage 0 or S-1) sums the tied
     * {@code wte} gradient before every step; null steps alone. Ignored on a middle stage.
     *
     * @param partner     the other end's peer
     * @param timeoutNanos how long a step waits for the partner's gradient before it goes alone
     */
    public void tiedPartner(PeerId partner, long timeoutNanos) {
        this.tiedTimeoutNanos = timeoutNanos;
        if (tied != null) {
            tied.partner(partner);
        }
    }

    /**
     * Keeps a copy of a neighbour stage, refreshed by {@link #refreshCopy()} and served beside this stage's own
     * weights: without {@code replicate} only the end stage's layers outside its blocks (CheckFree+ keeps the
     * embedding and head on the neighbours); with it the whole stage, whose blocks also run on this stage's output
     * (redundant computation, Bamboo).
     *
     * @param neighbour the peer serving the stage to copy (null: keep nothing)
     * @param stage     that stage (an end stage unless {@code replicate})
     * @param replicate keep the whole stage and run its forward too (redundant computation)
     */
    public void keepCopyOf(PeerId neighbour, int stage, boolean replicate) {
        this.keepStage = stage;
        this.keepOf = neighbour;
        this.replicate = replicate;
    }

    /**
     * Fetches the kept neighbour's current parameters and serves them from now on.
     *
     * @return completes when the copy is in place; fails with PipelineException or P2pException
     */
    public CompletableFuture<Void> refreshCopy() {
        PeerId from = keepOf;
        if (from == null) {
            return CompletableFuture.completedFuture(null);
        }
        GptStage s = worker.stage();
        int stage = keepStage;
        dev.starling.tensor.FlatLayout layout = GptStage.layout(s.config(), stage, s.count());
        CompletableFuture<float[]> copy = replicate
                ? StageRejoin.fetch(host, from, layout, stage, -1, StageRejoin.largestStage(s.config(), s.count()))
                        .thenApply(StageRejoin.Snapshot::params)
                : StageRejoin.fetchEnds(host, from, layout, stage);
        return copy.thenCompose(values -> onCompute(w -> {
            kept = values;
            publishWeights();
            return null;
        }));
    }

    /**
     * Sets the learning rate and clip norm of the next optimizer steps.
     *
     * @param learningRate the learning rate
     * @param maxNorm      the gradient clip norm
     */
    public void schedule(float learningRate, float maxNorm) {
        this.lr = learningRate;
        this.clipNorm = maxNorm;
    }

    private int stage() {
        return worker.stage().index();
    }

    private final class RequestHandler implements StreamHandler {
        private final LengthPrefixedFrames frames = new LengthPrefixedFrames(
                PipelineFrame.encodedSize(batch * seq * worker.stage().config().nEmbd(), batch * seq));
        private boolean answered;

        @Override
        public void onData(Stream stream, ByteBuf data) {
            try {
                for (byte[] message : frames.offer(data)) {
                    if (!answered) {
                        answered = true;
                        handle(stream, message);
                    }
                }
            } catch (P2pException e) {
                rejected.incrementAndGet();
                stream.reset();
            }
        }

        @Override
        public void onClosed(Stream stream, boolean reset) {
            frames.release();
        }
    }

    private void handle(Stream stream, byte[] message) {
        PipelineFrame request;
        try {
            request = PipelineFrame.decode(message);
            check(request);
        } catch (PipelineException e) {
            rejected.incrementAndGet();
            answer(stream, PipelineFrame.reject(-1, stage()).encode());
            return;
        }
        CompletableFuture.supplyAsync(() -> run(request), compute).whenComplete((bytes, error) -> {
            if (error != null) {
                rejected.incrementAndGet();
                answer(stream, PipelineFrame.reject(request.microBatch(), stage()).encode());
            } else {
                served.incrementAndGet();
                answer(stream, bytes);
            }
        });
    }

    private static void answer(Stream stream, byte[] bytes) {
        stream.write(LengthPrefixedFrames.frame(bytes));
        stream.closeWrite();
    }

    /** The request checks that need no model state; the frame itself was checked by the decoder. */
    private void check(PipelineFrame f) {
        GptStage s = worker.stage();
        int n = f.batch() * f.seq();
        if (f.toStage() != s.index()) {
            throw PipelineException.badInput("frame for stage " + f.toStage() + " sent to stage " + s.index());
        }
        if (f.batch() != batch || f.seq() != seq) {
            throw PipelineException.badInput("micro-batch shape (" + f.batch() + "," + f.seq() + "), this stage runs ("
                    + batch + "," + seq + ")");
        }
        boolean forward = f.kind() == PipelineFrame.Kind.FORWARD;
        if (!forward && f.kind() != PipelineFrame.Kind.BACKWARD) {
            throw PipelineException.badInput("a stage serves FORWARD and BACKWARD, not " + f.kind());
        }
        HopPlan plan = HopPlan.of(order.order(f.microBatch()));
        int i = plan.indexOf(s.index(), f.parts());
        if (i < 0 || (!forward && i == plan.size() - 1)) {
            throw PipelineException.badInput(f.kind() + " of parts " + f.parts() + " on stage " + s.index()
                    + " is not a hop of micro-batch " + f.microBatch());
        }
        int expectedFrom = forward ? (i == 0 ? -1 : plan.hop(i - 1).stage()) : plan.hop(i + 1).stage();
        if (f.fromStage() != expectedFrom) {
            throw PipelineException.badInput(f.kind() + " from stage " + f.fromStage() + " to stage " + s.index()
                    + " skips the pipeline order (expected from " + expectedFrom + ")");
        }
        boolean head = plan.hop(i).has(HopPlan.HEAD);
        int channels = forward && i == 0 ? 0 : s.config().nEmbd();
        int ids = forward ? (i == 0 ? n : 0) + (head ? n : 0) : 0;
        if (f.channels() != channels || f.ids().length != ids) {
            throw PipelineException.badInput(f.kind() + " to stage " + s.index() + " carries C " + f.channels()
                    + " and " + f.ids().length + " ids; expected C " + channels + " and " + ids + " ids");
        }
    }

    /** Runs on the compute thread: the parts of one hop, forward (and the head's backward) or backward. */
    private byte[] run(PipelineFrame f) {
        GptStage s = worker.stage();
        int t = seq;
        int c = s.config().nEmbd();
        int n = batch * seq;
        long mb = f.microBatch();
        HopPlan plan = HopPlan.of(order.order(mb));
        int i = plan.indexOf(s.index(), f.parts());
        HopPlan.Hop hop = plan.hop(i);
        boolean embed = hop.has(HopPlan.EMBED);
        float[] d;
        float loss = Float.NaN;
        Activations a;
        if (f.kind() == PipelineFrame.Kind.BACKWARD) {
            a = inFlight.get(mb);
            if (a == null) {
                throw PipelineException.badInput("backward of micro-batch " + mb + " that this peer did not run");
            }
            d = f.tensor();
        } else {
            a = take(mb);
            float[] x = new float[n * c];
            long seed = mb * 0x9E3779B97F4A7C15L;
            if (embed) {
                s.embedForward(pool, a, java.util.Arrays.copyOf(f.ids(), n), t, true, seed, x);
            } else {
                System.arraycopy(f.tensor(), 0, x, 0, n * c);
            }
            if (hop.has(HopPlan.BLOCKS)) {
                s.blocksForward(pool, a, x, t, true, seed, x);
                redundantForward(x);
            }
            if (!hop.has(HopPlan.HEAD)) {
                return forwardAnswer(f, x, s);
            }
            int[] targets = java.util.Arrays.copyOfRange(f.ids(), f.ids().length - n, f.ids().length);
            loss = s.headForward(pool, a, x, targets, t);
            d = new float[n * c];
            s.headBackward(pool, a, t, d);
        }
        if (hop.has(HopPlan.BLOCKS)) {
            s.blocksBackward(pool, a, d, t, d);
        }
        if (embed) {
            s.embedBackward(pool, a, d, t);
        }
        if (plan.firstOfStage(i)) {
            inFlight.remove(mb);
            free.push(a);
            worker.accumulated();
            if (worker.pending() >= accumulate) {
                // queued behind this hop, so its answer leaves first (the other end may be waiting for it)
                compute.execute(() -> step(mb));
            }
        }
        return new PipelineFrame(PipelineFrame.Kind.GRADIENT, 0, mb, s.index(), -1, batch, seq, embed ? 0 : c, loss,
                embed ? new float[0] : d, new int[0]).encode();
    }

    /** Redundant computation: runs the kept replica of the next stage on this stage's output (result unused). */
    private void redundantForward(float[] x) {
        if (!replicate || worker.stage().isLast() || kept.length == 0) {
            return;
        }
        GptStage s = worker.stage();
        if (replica == null) {
            replica = new GptStage(s.config(), keepStage, s.count());
            replicaActs = replica.newActivations(batch, seq);
        }
        float[] copy = kept;
        if (copy != replicaLoaded) {
            System.arraycopy(copy, 0, replica.parameters().data(), 0, copy.length);
            replicaLoaded = copy;
        }
        replica.blocksForward(pool, replicaActs, x, seq, true, 0, new float[x.length]);
    }

    /** Runs on the compute thread: sums the tied gradient with the other end's, then one optimizer step. */
    private void step(long key) {
        GptStage s = worker.stage();
        if (tied != null && tied.partner() != null) {
            TensorView v = s.gradients().layout().view("wte");
            float[] g = s.gradients().data();
            float[] mine = java.util.Arrays.copyOfRange(g, v.offset(), v.offset() + v.size());
            float[] theirs = tied.exchange(key, mine, tiedTimeoutNanos);
            if (theirs == null) {
                tiedMisses.incrementAndGet();
            } else {
                for (int j = 0; j < theirs.length; j++) {
                    g[v.offset() + j] = mine[j] + theirs[j];
                }
            }
        }
        worker.step(pool, lr, clipNorm);
        publishWeights();
    }

    private byte[] forwardAnswer(PipelineFrame f, float[] x, GptStage s) {
        int from = behaviour == Behaviour.WRONG_STAGE ? s.index() + 1 : s.index();
        byte[] bytes = new PipelineFrame(PipelineFrame.Kind.ACTIVATION, 0, f.microBatch(), from, -1, batch, seq,
                s.config().nEmbd(), Float.NaN, x, new int[0]).encode();
        if (behaviour == Behaviour.NAN_OUTPUT) {
            // 0xFF7F and 0x7FFF are both bfloat16 NaNs, whichever byte order the codec reads.
            bytes[PipelineFrame.HEADER_BYTES] = (byte) 0xFF;
            bytes[PipelineFrame.HEADER_BYTES + 1] = (byte) 0x7F;
        }
        return bytes;
    }

    private Activations take(long mb) {
        Activations a = inFlight.remove(mb);
        if (a == null) {
            if (inFlight.size() >= maxInFlight) {
                Long oldest = inFlight.keySet().iterator().next();
                a = inFlight.remove(oldest);
            } else {
                a = free.isEmpty() ? worker.stage().newActivations(batch, seq) : free.pop();
            }
        }
        inFlight.put(mb, a);
        return a;
    }

    /**
     * Runs a task on the compute thread (which owns the worker), for averaging and recovery.
     *
     * @param task the task
     * @param <T>  its result
     * @return its result
     */
    public <T> CompletableFuture<T> onCompute(java.util.function.Function<StageWorker, T> task) {
        return CompletableFuture.supplyAsync(() -> task.apply(worker), compute);
    }

    /**
     * Requests refused so far (bad input, unknown micro-batch).
     *
     * @return the count
     */
    public long rejected() {
        return rejected.get();
    }

    /**
     * Steps that went without the other end's tied gradient (partner late or gone).
     *
     * @return the count
     */
    public long tiedMisses() {
        return tiedMisses.get();
    }

    /**
     * Requests answered so far.
     *
     * @return the count
     */
    public long served() {
        return served.get();
    }

    /**
     * The host this server answers on.
     *
     * @return the host
     */
    public Host host() {
        return host;
    }

    /** Stops serving, waits briefly for the compute thread and frees the worker. */
    @Override
    public void close() {
        host.removeHandler(PipelineFrame.PROTOCOL);
        host.removeHandler(StageRejoin.PROTOCOL);
        host.removeHandler(StageRejoin.ENDS_PROTOCOL);
        if (tied != null) {
            tied.close();
        }
        compute.shutdown();
        try {
            compute.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        worker.close();
        if (replica != null) {
            replica.close();
        }
    }
}
