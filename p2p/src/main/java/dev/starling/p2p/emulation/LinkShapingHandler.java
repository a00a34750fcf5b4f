package dev.starling.p2p.emulation;

import dev.starling.p2p.core.PeerId;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import java.nio.channels.ClosedChannelException;

/**
 * Emulates one direction of a link on a TCP channel: the first handler of the pipeline (next to the socket)
 * holds every outbound write in a {@link DelayLine} until the {@link LinkDirection} says its last byte has
 * arrived at the remote end, then writes and flushes it to the socket (on loopback the socket adds ~nothing).
 * A close is queued behind the writes before it. The remote peer is known at once for dials and after the
 * handshake for inbound connections ({@link #remoteIdentified}); until then the emulation's default profile applies.
 *
 * <p>Thread: the channel's event loop. Ownership: a queued message is owned by the line until it is written (then
 * by the next handler) or discarded when the channel goes inactive or this handler is removed (released here,
 * its promise failed). Memory is bounded by the peers' yamux windows, not here: every byte queued was within
 * a stream's send window.
 */
public final class LinkShapingHandler extends ChannelDuplexHandler {
    /** The pipeline name used by the transports. */
    public static final String NAME = "link-emulation";

    private record Pending(Object message, ChannelPromise promise, boolean close) {
    }

    private final HostEgress egress;
    private PeerId remote;
    private LinkDirection direction;
    private DelayLine<Pending> line;
    private ChannelHandlerContext ctx;

    /**
     * Creates the handler.
     *
     * @param egress the local host's egress
     * @param remote the remote host, or {@code null} until {@link #remoteIdentified}
     */
    public LinkShapingHandler(HostEgress egress, PeerId remote) {
        this.egress = egress;
        this.remote = remote;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext context) {
        this.ctx = context;
        this.direction = egress.towards(remote);
        this.line = new DelayLine<>(context.executor(), this::deliver, context::flush);
    }

    /**
     * Switches to the profile for the now-authenticated remote peer (writes already queued keep their times).
     * Call on the channel's event loop.
     *
     * @param peer the remote host
     */
    public void remoteIdentified(PeerId peer) {
        if (peer.equals(remote)) return;
        remote = peer;
        direction = egress.towards(peer);
    }

    /** @return the schedule in use (for counters) */
    public LinkDirection direction() {
        return direction;
    }

    @Override
    public void write(ChannelHandlerContext context, Object msg, ChannelPromise promise) {
        long bytes = msg instanceof ByteBuf b ? b.readableBytes()
                : msg instanceof ByteBufHolder h ? h.content().readableBytes() : 0;
        long now = line.now();
        line.offer(new Pending(msg, promise, false), direction.admit(bytes, now));
    }

    @Override
    public void flush(ChannelHandlerContext context) {
        // Writes are flushed when the line releases them.
    }

    @Override
    public void close(ChannelHandlerContext context, ChannelPromise promise) {
        if (!context.channel().isActive()) {
            context.close(promise);
            return;
        }
        line.offer(new Pending(null, promise, true), direction.admit(0, line.now()));
    }

    private void deliver(Pending p) {
        if (p.close()) {
            ctx.flush(); // writes released in the same batch go out before the close
            ctx.close(p.promise());
        } else {
            ctx.write(p.message(), p.promise());
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext context) {
        discardQueued();
        context.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext context) {
        discardQueued();
    }

    private void discardQueued() {
        if (line == null) return;
        line.clear(p -> {
            if (p.close()) {
                ctx.close(p.promise());
                return;
            }
            ReferenceCountUtil.release(p.message());
            p.promise().tryFailure(new ClosedChannelException());
        });
    }
}
