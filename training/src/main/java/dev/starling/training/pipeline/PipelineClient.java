package dev.starling.training.pipeline;

import dev.starling.p2p.codec.LengthPrefixedFrames;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.core.Stream;
import dev.starling.p2p.core.StreamHandler;
import io.netty.buffer.ByteBuf;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

/**
 * The side that owns the data and drives micro-batches through the stages (a SWARM trainer): for each stage in
 * order it sends the activations to a peer the {@link StageRouter} picks by throughput and checks the answer; a hop
 * whose answer is refused, late, of the wrong shape, non-finite or from the wrong stage goes to another peer of the
 * same stage, and the peer that sent bad bytes collects a strike. The backward goes back through the same peers,
 * which hold the activations. Each hop is one stream on {@link PipelineFrame#PROTOCOL}.
 *
 * <p>Owner: one client thread, which blocks on each hop (never a stream's owner thread).
 */
public final class PipelineClient {
    private final Host host;
    private final StageRouter<PeerId> router;
    private final int stages;
    private final int channels;
    private final long hopTimeoutNanos;
    private final LongSupplier clock;
    private long badFrames;
    private long bytesSent;
    private final java.util.concurrent.atomic.AtomicLong bytesReceived = new java.util.concurrent.atomic.AtomicLong();

    /**
     * Creates a client.
     *
     * @param host            the client's host
     * @param router          the stage pools (this client's thread owns it)
     * @param stages          S
     * @param channels        the model width C
     * @param hopTimeoutNanos how long one hop may take
     * @param clock           nanosecond clock for throughput measurements
     */
    public PipelineClient(Host host, StageRouter<PeerId> router, int stages, int channels, long hopTimeoutNanos,
                          LongSupplier clock) {
        this.host = host;
        this.router = router;
        this.stages = stages;
        this.channels = channels;
        this.hopTimeoutNanos = hopTimeoutNanos;
        this.clock = clock;
    }

    /**
     * Runs one micro-batch forward and backward through the pipeline, stages in order.
     *
     * @param microBatch a fresh id
     * @param tokens     B*T token ids
     * @param targets    B*T next-token ids
     * @param batch      B
     * @param seq        T
     * @return how it ended
     */
    public MicroBatchResult run(long microBatch, int[] tokens, int[] targets, int batch, int seq) {
        int[] order = new int[stages];
        for (int s = 0; s < stages; s++) {
            order[s] = s;
        }
        return run(microBatch, tokens, targets, batch, seq, order);
    }

    /**
     * Runs one micro-batch forward and backward through the pipeline, the stages' blocks in the given order (the
     * stage peers must derive the same order from the micro-batch id, see {@link StageServer}).
     *
     * @param microBatch a fresh id
     * @param tokens     B*T token ids
     * @param targets    B*T next-token ids
     * @param batch      B
     * @param seq        T
     * @param order      the order of the stages' blocks (CheckFree+ swaps neighbours for some micro-batches)
     * @return how it ended
     */
    public MicroBatchResult run(long microBatch, int[] tokens, int[] targets, int batch, int seq, int[] order) {
        HopPlan plan = HopPlan.of(order);
        PeerId[] path = new PeerId[stages];
        int reroutes = 0;
        float[] x = new float[0];
        float loss = Float.NaN;
        for (int i = 0; i < plan.size(); i++) {
            HopPlan.Hop hop = plan.hop(i);
            int s = hop.stage();
            boolean head = hop.has(HopPlan.HEAD);
            int[] ids = i == 0 && head ? concat(tokens, targets) : i == 0 ? tokens : head ? targets : new int[0];
            PipelineFrame request = new PipelineFrame(PipelineFrame.Kind.FORWARD, hop.parts(), microBatch,
                    i == 0 ? -1 : plan.hop(i - 1).stage(), s, batch, seq, i == 0 ? 0 : channels, Float.NaN, x, ids);
            PipelineFrame.Kind answer = head ? PipelineFrame.Kind.GRADIENT : PipelineFrame.Kind.ACTIVATION;
            int answerChannels = head && hop.has(HopPlan.EMBED) ? 0 : channels;
            PipelineFrame reply = null;
            if (path[s] != null) {
                // a second hop on a stage goes to the peer that holds the micro-batch's activations there
                reply = hop(path[s], request, answer, s, answerChannels);
                if (reply == null) {
                    return new MicroBatchResult(MicroBatchResult.Status.DROPPED, Float.NaN, -1, reroutes);
                }
            }
            Set<PeerId> tried = new HashSet<>();
            while (reply == null) {
                Optional<PeerId> peer = router.choose(s, tried);
                if (peer.isEmpty()) {
                    return new MicroBatchResult(MicroBatchResult.Status.STAGE_LOST, Float.NaN, s, reroutes);
                }
                if (!tried.isEmpty()) {
                    reroutes++;
                }
                tried.add(peer.get());
                reply = hop(peer.get(), request, answer, s, answerChannels);
                path[s] = peer.get();
            }
            x = reply.tensor();
            loss = reply.loss();
        }
        for (int i = plan.size() - 2; i >= 0; i--) {
            HopPlan.Hop hop = plan.hop(i);
            PipelineFrame request = new PipelineFrame(PipelineFrame.Kind.BACKWARD, hop.parts(), microBatch,
                    plan.hop(i + 1).stage(), hop.stage(), batch, seq, channels, Float.NaN, x, new int[0]);
            PipelineFrame reply = hop(path[hop.stage()], request, PipelineFrame.Kind.GRADIENT, hop.stage(),
                    hop.has(HopPlan.EMBED) ? 0 : channels);
            if (reply == null) {
                return new MicroBatchResult(MicroBatchResult.Status.DROPPED, Float.NaN, -1, reroutes);
            }
            x = reply.tensor();
        }
        return new MicroBatchResult(MicroBatchResult.Status.DONE, loss, -1, reroutes);
    }

    /** One request and its checked answer, or null when the peer refused, failed or lied (and was struck). */
    private PipelineFrame hop(PeerId peer, PipelineFrame request, PipelineFrame.Kind expected, int stage,
                              int answerChannels) {
        long start = clock.getAsLong();
        byte[] bytes;
        try {
            bytes = exchange(peer, request.encode(), PipelineFrame.encodedSize(
                    request.batch() * request.seq() * channels, 0)).get(hopTimeoutNanos, TimeUnit.NANOSECONDS);
        } catch (ExecutionException | TimeoutException e) {
            router.remove(peer);
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
        try {
            PipelineFrame reply = PipelineFrame.decode(bytes);
            if (reply.kind() == PipelineFrame.Kind.REJECT) {
                return null;
            }
            if (reply.kind() != expected || reply.fromStage() != stage || reply.toStage() != -1
                    || reply.microBatch() != request.microBatch() || reply.batch() != request.batch()
                    || reply.seq() != request.seq() || reply.channels() != answerChannels || reply.ids().length != 0
                    || (expected == PipelineFrame.Kind.GRADIENT && request.kind() == PipelineFrame.Kind.FORWARD
                    && Float.isNaN(reply.loss()))) {
                throw PipelineException.badInput("answer " + reply.kind() + " from stage " + reply.fromStage()
                        + " shape (" + reply.batch() + "," + reply.seq() + "," + reply.channels() + ") to a "
                        + request.kind() + " for stage " + stage);
            }
            router.recordSuccess(peer, (long) request.batch() * request.seq() * channels, clock.getAsLong() - start);
            return reply;
        } catch (PipelineException e) {
            badFrames++;
            router.recordBadInput(peer);
            return null;
        }
    }

    private CompletableFuture<byte[]> exchange(PeerId peer, byte[] request, int maxAnswer) {
        bytesSent += request.length;
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        host.newStream(peer, List.of(PipelineFrame.PROTOCOL), stream -> new StreamHandler() {
            private final LengthPrefixedFrames frames = new LengthPrefixedFrames(maxAnswer);

            @Override
            public void onData(Stream s, ByteBuf data) {
                try {
                    List<byte[]> messages = frames.offer(data);
                    if (!messages.isEmpty()) {
                        bytesReceived.addAndGet(messages.getFirst().length);
                        result.complete(messages.getFirst());
                        s.reset();
                    }
                } catch (P2pException e) {
                    result.completeExceptionally(e);
                    s.reset();
                }
            }

            @Override
            public void onClosed(Stream s, boolean reset) {
                frames.release();
                result.completeExceptionally(P2pException.protocolViolation(peer + " closed the pipeline stream "
                        + "without an answer"));
            }
        }).whenComplete((stream, error) -> {
            if (error != null) {
                result.completeExceptionally(error);
            } else {
                stream.write(LengthPrefixedFrames.frame(request));
                stream.closeWrite();
            }
        });
        return result;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /**
     * Answers that were malformed, non-finite or from the wrong stage, so far.
     *
     * @return the count
     */
    public long badFrames() {
        return badFrames;
    }

    /**
     * Frame bytes this client sent and received on {@link PipelineFrame#PROTOCOL} so far (activations, gradients,
     * ids and headers; not the transport's own framing).
     *
     * @return {sent, received}
     */
    public long[] bytes() {
        return new long[] {bytesSent, bytesReceived.get()};
    }
}
