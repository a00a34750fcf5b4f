package dev.starling.p2p.emulation;

import dev.starling.p2p.core.PeerId;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
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
    /** The emulated socket send buffer: bytes that may wait to be serialized before the channel turns unwritable. */
    public static final int SEND_BUFFER_BYTES = 256 * 1024;
    /** Netty's user-defined writability bit this handler drives. */
    static final int WRITABILITY_INDEX = 5;

    private record Pending(Object message, ChannelPromise promise, boolean close) {
    }

    private final HostEgress egress;
    private PeerId remote;
    private LinkDirection direction;
    private DelayLine<Pending> line;
    private ChannelHandlerContext ctx;
    /** Bytes held in the line (waiting for the link, or travelling on it). */
    private long heldBytes;
    private boolean writable = true;

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
        long bytes = sizeOf(msg);
        long now = line.now();
        heldBytes += bytes;
        updateWritability();
        line.offer(new Pending(msg, promise, false), direction.admit(bytes, now));
    }

    private static long sizeOf(Object msg) {
        return msg instanceof ByteBuf b ? b.readableBytes()
                : msg instanceof ByteBufHolder h ? h.content().readableBytes() : 0;
    }

    /**
     * Turns the channel unwritable while more than the link's bytes in flight (rate × delay) plus
     * {@link #SEND_BUFFER_BYTES} are held, as a kernel socket buffer would, so writers that honour writability
     * (yamux data frames) queue above this layer and control frames are not stuck behind seconds of data.
     */
    private void updateWritability() {
        long rate = direction.bottleneckBitsPerSecond();
        if (rate == 0) return;
        long limit = SEND_BUFFER_BYTES + rate / 8 * direction.profile().delayNanos() / 1_000_000_000L;
        boolean now = heldBytes <= limit;
        if (now == writable) return;
        writable = now;
        ChannelOutboundBuffer buffer = ctx.channel().unsafe().outboundBuffer();
        if (buffer != null) buffer.setUserDefinedWritability(WRITABILITY_INDEX, now);
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
            heldBytes -= sizeOf(p.message());
            ctx.write(p.message(), p.promise());
            updateWritability();
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
