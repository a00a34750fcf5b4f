package dev.starling.p2p.multistream;

import dev.starling.p2p.core.P2pException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Predicate;

/**
 * Runs multistream-select on a whole channel (to pick the security protocol, or the muxer when Noise did not
 * inline it). When done, it calls {@code onDone} (which adds the next handlers after this one), passes leftover
 * bytes on, and removes itself. Failures are thrown into the pipeline, where the upgrade handler closes the
 * channel. Runs on the channel's event loop.
 */
public final class MultistreamHandler extends ChannelInboundHandlerAdapter {
    private final List<String> proposals;
    private final Predicate<String> accepts;
    private final BiConsumer<ChannelHandlerContext, String> onDone;
    private MultistreamNegotiator negotiator;

    /**
     * Creates the handler.
     *
     * @param proposals for the initiator: ids to propose; null for the responder
     * @param accepts   for the responder: ids we accept
     * @param onDone    installs the next handlers after this one, given the negotiated id
     */
    public MultistreamHandler(List<String> proposals, Predicate<String> accepts,
                              BiConsumer<ChannelHandlerContext, String> onDone) {
        this.proposals = proposals;
        this.accepts = accepts;
        this.onDone = onDone;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        negotiator = proposals != null
                ? MultistreamNegotiator.initiator(proposals, ctx.alloc())
                : MultistreamNegotiator.responder(accepts, ctx.alloc());
        if (ctx.channel().isActive()) start(ctx);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        start(ctx);
        ctx.fireChannelActive();
    }

    private boolean started;

    private void start(ChannelHandlerContext ctx) {
        if (started) return;
        started = true;
        ctx.writeAndFlush(negotiator.start());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ReferenceCountUtil.release(msg);
            throw P2pException.internal("unexpected message " + msg.getClass().getSimpleName(), null);
        }
        MultistreamNegotiator.Step step = negotiator.onData(in); // takes ownership of in
        if (step.output() != null) ctx.writeAndFlush(step.output());
        if (!step.isDone()) return;
        onDone.accept(ctx, step.protocol());
        if (step.leftover() != null) ctx.fireChannelRead(step.leftover()); // the next handler releases it
        ctx.pipeline().remove(this);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (negotiator != null) negotiator.release();
    }
}
