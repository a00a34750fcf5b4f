package dev.starling.p2p.mux;

import dev.starling.p2p.core.InboundRouter;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.ProtocolHandler;
import dev.starling.p2p.core.Stream;
import dev.starling.p2p.core.StreamHandler;
import dev.starling.p2p.multistream.MultistreamNegotiator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The temporary handler of a new muxed stream: runs multistream-select on it, then attaches the protocol's
 * handler with the leftover bytes. Runs on the stream's owner thread. A failure resets the stream and, for
 * an outbound stream, fails its future.
 */
public final class NegotiatingHandler implements StreamHandler {
    /** How long multistream-select on one stream may take before the stream is reset. */
    public static final long NEGOTIATION_TIMEOUT_MS = 10_000;

    private final MultistreamNegotiator negotiator;
    private final InboundRouter router;
    private final ProtocolHandler outboundHandler;
    private final CompletableFuture<Stream> outboundResult;
    private boolean done;
    private io.netty.util.concurrent.ScheduledFuture<?> timeout;

    private NegotiatingHandler(MultistreamNegotiator negotiator, InboundRouter router, ProtocolHandler handler,
                               CompletableFuture<Stream> result) {
        this.negotiator = negotiator;
        this.router = router;
        this.outboundHandler = handler;
        this.outboundResult = result;
    }

    /**
     * Starts negotiation on an inbound stream (we answer).
     *
     * @param stream the new stream, not yet attached
     * @param router finds handlers for proposed ids
     * @param alloc  allocator
     */
    public static void inbound(StreamBase stream, InboundRouter router, ByteBufAllocator alloc) {
        MultistreamNegotiator n = MultistreamNegotiator.responder(id -> handlerFor(router, stream, id).isPresent(),
                alloc);
        NegotiatingHandler h = new NegotiatingHandler(n, router, null, null);
        stream.attach("", s -> h);
        h.startTimer(stream);
        stream.write(n.start());
    }

    /**
     * Starts negotiation on an outbound stream (we propose).
     *
     * @param stream    the new stream, not yet attached
     * @param protocols ids to propose
     * @param handler   the handler to attach on success
     * @param result    completed with the stream, or failed
     * @param alloc     allocator
     */
    public static void outbound(StreamBase stream, List<String> protocols, ProtocolHandler handler,
                                CompletableFuture<Stream> result, ByteBufAllocator alloc) {
        MultistreamNegotiator n = MultistreamNegotiator.initiator(protocols, alloc);
        NegotiatingHandler h = new NegotiatingHandler(n, null, handler, result);
        stream.attach("", s -> h);
        h.startTimer(stream);
        stream.write(n.start());
    }

    /** The handler for an inbound id; on a limited connection only one that opts in ({@code na} otherwise). */
    private static java.util.Optional<ProtocolHandler> handlerFor(InboundRouter router, StreamBase stream, String id) {
        boolean limited = stream.connection().limits().isPresent();
        return router.handler(id).filter(h -> !limited || h.runsOnLimitedConnections());
    }

    /** A peer that never finishes negotiating must not hold a stream slot forever. */
    private void startTimer(StreamBase stream) {
        timeout = stream.executor().schedule(() -> {
            if (done) return;
            fail(P2pException.closed("protocol negotiation took longer than " + NEGOTIATION_TIMEOUT_MS + " ms"));
            stream.reset();
        }, NEGOTIATION_TIMEOUT_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    @Override
    public void onData(Stream stream, ByteBuf data) {
        MultistreamNegotiator.Step step;
        try {
            step = negotiator.onData(data); // takes ownership of data
        } catch (RuntimeException e) {
            fail(e);
            throw e;
        }
        if (step.output() != null) stream.write(step.output());
        if (!step.isDone()) return;
        done = true;
        if (timeout != null) timeout.cancel(false);
        StreamBase s = (StreamBase) stream;
        if (outboundResult != null) {
            s.attach(step.protocol(), outboundHandler, step.leftover());
            outboundResult.complete(s);
        } else {
            ProtocolHandler h = handlerFor(router, s, step.protocol()).orElse(null);
            if (h == null) {
                if (step.leftover() != null) step.leftover().release();
                throw P2pException.internal("handler for " + step.protocol() + " vanished", null);
            }
            s.attach(step.protocol(), h, step.leftover());
        }
    }

    @Override
    public void onRemoteClosed(Stream stream) {
        if (!done) {
            fail(P2pException.closed("stream closed during protocol negotiation"));
            stream.reset();
        }
    }

    @Override
    public void onClosed(Stream stream, boolean reset) {
        if (timeout != null) timeout.cancel(false);
        if (!done) {
            negotiator.release();
            fail(P2pException.closed("stream reset during protocol negotiation"));
        }
    }

    private void fail(RuntimeException e) {
        if (outboundResult != null) outboundResult.completeExceptionally(e);
    }
}
