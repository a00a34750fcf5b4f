package dev.starling.training.pipeline;

import dev.starling.model.Activations;
import dev.starling.model.GptStage;
import dev.starling.p2p.codec.LengthPrefixedFrames;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.Stream;
import dev.starling.p2p.core.StreamHandler;
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
 * frame and gets one answer. FORWARD runs the stage's forward (the last stage runs forward and backward at once and
 * answers with d(input) and the loss); BACKWARD runs the backward of a micro-batch this peer ran forward, and every
 * {@code accumulate} backwards the {@link StageWorker} takes an optimizer step. A request for another stage, from a
 * stage that is not adjacent, of the wrong shape, or with NaN/Inf, is answered with REJECT.
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
    private final ExecutorService compute = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "stage-compute");
        t.setDaemon(true);
        return t;
    });
    private final Map<Long, Activations> inFlight = new LinkedHashMap<>();
    private final ArrayDeque<Activations> free = new ArrayDeque<>();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicLong served = new AtomicLong();
    private volatile byte[] published;
    private volatile float lr;
    private volatile float clipNorm;

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
        this.lr = 1e-3f;
        this.clipNorm = 1f;
        host.setHandler(PipelineFrame.PROTOCOL, stream -> new RequestHandler());
        publishWeights();
        dev.starling.p2p.protocol.oneshot.OneMessageProtocol.serve(host, StageRejoin.PROTOCOL, () -> published);
    }

    /** Runs on the compute thread: what {@link StageRejoin} serves to a peer rebuilding a neighbouring stage. */
    private void publishWeights() {
        published = StageRejoin.encode(worker);
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
        int expectedFrom = forward ? s.index() - 1 : s.index() + 1;
        if (f.fromStage() != expectedFrom || (!forward && s.isLast())) {
            throw PipelineException.badInput(f.kind() + " from stage " + f.fromStage() + " to stage " + s.index()
                    + " skips the pipeline order");
        }
        boolean tokensIn = forward && s.isFirst();
        int channels = tokensIn ? 0 : s.config().nEmbd();
        int ids = tokensIn || (forward && s.isLast()) ? n : 0;
        if (s.isFirst() && s.isLast() && forward) {
            ids = 2 * n;
        }
        if (f.channels() != channels || f.ids().length != ids) {
            throw PipelineException.badInput(f.kind() + " to stage " + s.index() + " carries C " + f.channels()
                    + " and " + f.ids().length + " ids; expected C " + channels + " and " + ids + " ids");
        }
    }

    /** Runs on the compute thread. */
    private byte[] run(PipelineFrame f) {
        GptStage s = worker.stage();
        int t = seq;
        int nc = batch * seq * s.config().nEmbd();
        int n = batch * seq;
        long mb = f.microBatch();
        if (f.kind() == PipelineFrame.Kind.BACKWARD) {
            Activations a = inFlight.remove(mb);
            if (a == null) {
                throw PipelineException.badInput("backward of micro-batch " + mb + " that this peer did not run");
            }
            float[] d = new float[nc];
            s.blocksBackward(pool, a, f.tensor(), t, d);
            if (s.isFirst()) {
                s.embedBackward(pool, a, d, t);
            }
            free.push(a);
            afterBackward();
            float[] out = s.isFirst() ? new float[0] : d;
            return new PipelineFrame(PipelineFrame.Kind.GRADIENT, mb, s.index(), -1, batch, seq,
                    s.isFirst() ? 0 : s.config().nEmbd(), Float.NaN, out, new int[0]).encode();
        }
        Activations a = take(mb);
        float[] x = new float[nc];
        long seed = mb * 0x9E3779B97F4A7C15L;
        if (s.isFirst()) {
            s.embedForward(pool, a, java.util.Arrays.copyOf(f.ids(), n), t, true, seed, x);
        } else {
            System.arraycopy(f.tensor(), 0, x, 0, nc);
        }
        s.blocksForward(pool, a, x, t, true, seed, x);
        if (!s.isLast()) {
            return forwardAnswer(f, x, s);
        }
        int[] targets = java.util.Arrays.copyOfRange(f.ids(), f.ids().length - n, f.ids().length);
        float loss = s.headForward(pool, a, x, targets, t);
        float[] d = new float[nc];
        s.headBackward(pool, a, t, d);
        s.blocksBackward(pool, a, d, t, d);
        inFlight.remove(mb);
        free.push(a);
        if (s.isFirst()) {
            s.embedBackward(pool, a, d, t);
        }
        afterBackward();
        return new PipelineFrame(PipelineFrame.Kind.GRADIENT, mb, s.index(), -1, batch, seq,
                s.isFirst() ? 0 : s.config().nEmbd(), loss, s.isFirst() ? new float[0] : d, new int[0]).encode();
    }

    private byte[] forwardAnswer(PipelineFrame f, float[] x, GptStage s) {
        int from = behaviour == Behaviour.WRONG_STAGE ? s.index() + 1 : s.index();
        byte[] bytes = new PipelineFrame(PipelineFrame.Kind.ACTIVATION, f.microBatch(), from, -1, batch, seq,
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

    private void afterBackward() {
        worker.accumulated();
        if (worker.pending() >= accumulate) {
            worker.step(pool, lr, clipNorm);
            publishWeights();
        }
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
        compute.shutdown();
        try {
            compute.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        worker.close();
    }
}
