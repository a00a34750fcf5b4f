package dev.starling.p2p.relay;

import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.Stream;
import dev.starling.p2p.core.StreamHandler;
import io.netty.buffer.ByteBuf;
import io.netty.channel.AbstractChannel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.EventLoop;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeUnit;

/**
 * A Netty channel whose bytes travel on a libp2p {@link Stream} (a relayed hop or stop stream), so that the usual
 * upgrade pipeline (multistream-select, Noise, yamux) runs over it unchanged. It is registered on the stream's
 * event loop, so the pipeline and the stream share one owner thread.
 *
 * <p><b>Buffers.</b> Bytes read from the stream go into the pipeline (which releases them). Outbound buffers stay
 * in the channel's outbound buffer while the stream is not writable and are handed to the stream when it is.
 * <b>Closing.</b> Closing the channel half-closes the stream (FIN) and resets it if the remote has not closed its
 * side within {@link #CLOSE_GRACE_MS}; the stream closing or resetting closes the channel.
 */
final class StreamChannel extends AbstractChannel {
    /** How long a closed channel waits for the remote's FIN before resetting the stream. */
    static final long CLOSE_GRACE_MS = 5_000;
    private static final ChannelMetadata METADATA = new ChannelMetadata(false);

    private final Stream stream;
    private final SocketAddress local;
    private final SocketAddress remote;
    private final ChannelConfig config;
    private boolean open = true;
    private long dataLimit;
    private long sent;
    private long received;

    StreamChannel(Stream stream, SocketAddress local, SocketAddress remote) {
        super(null);
        this.stream = stream;
        this.local = local;
        this.remote = remote;
        this.config = new DefaultChannelConfig(this) {
            @Override
            protected void autoReadCleared() {
                stream.setAutoRead(false);
            }
        };
    }

    /**
     * Registers the channel on the stream's event loop; the pipeline must be set up already. Call on that loop.
     *
     * @throws P2pException INTERNAL if the stream's executor is not a Netty event loop
     */
    void register() {
        if (!(stream.executor() instanceof EventLoop loop)) {
            throw P2pException.internal("relayed stream runs on " + stream.executor() + ", not an event loop", null);
        }
        unsafe().register(loop, newPromise());
    }

    /**
     * Closes the channel before either direction passes {@code bytes}: the relay would reset the circuit there.
     * Call before {@link #register()}.
     *
     * @param bytes the relay's data limit per direction, 0 for none
     */
    void limitData(long bytes) {
        this.dataLimit = bytes;
    }

    private boolean overLimit(long total) {
        return dataLimit > 0 && total > dataLimit;
    }

    /** The stream handler that feeds this channel; attach it to the stream after {@link #register()}. */
    StreamHandler streamHandler() {
        return new StreamHandler() {
            @Override
            public void onData(Stream s, ByteBuf data) {
                received += data.readableBytes();
                if (!open || overLimit(received)) {
                    data.release();
                    if (open) unsafe().close(voidPromise());
                    return;
                }
                pipeline().fireChannelRead(data); // the pipeline releases it
                pipeline().fireChannelReadComplete();
            }

            @Override
            public void onRemoteClosed(Stream s) {
                if (open) unsafe().close(voidPromise());
            }

            @Override
            public void onClosed(Stream s, boolean reset) {
                if (open) unsafe().close(voidPromise());
            }

            @Override
            public void onWritabilityChanged(Stream s) {
                if (open && s.isWritable()) flush();
            }
        };
    }

    @Override
    protected AbstractUnsafe newUnsafe() {
        return new AbstractUnsafe() {
            @Override
            public void connect(SocketAddress remoteAddress, SocketAddress localAddress, ChannelPromise promise) {
                promise.setFailure(new UnsupportedOperationException("a relayed stream is connected already"));
            }
        };
    }

    @Override
    protected boolean isCompatible(EventLoop loop) {
        return true;
    }

    @Override
    protected SocketAddress localAddress0() {
        return local;
    }

    @Override
    protected SocketAddress remoteAddress0() {
        return remote;
    }

    @Override
    protected void doBind(SocketAddress localAddress) {
        throw new UnsupportedOperationException("a relayed stream cannot bind");
    }

    @Override
    protected void doDisconnect() {
        doClose();
    }

    @Override
    protected void doClose() {
        if (!open) return;
        open = false;
        stream.closeWrite();
        if (!stream.closeFuture().isDone()) {
            var reset = stream.executor().schedule(stream::reset, CLOSE_GRACE_MS, TimeUnit.MILLISECONDS);
            stream.closeFuture().thenRun(() -> reset.cancel(false));
        }
    }

    @Override
    protected void doBeginRead() {
        stream.setAutoRead(true);
    }

    @Override
    protected void doWrite(ChannelOutboundBuffer in) throws IOException {
        while (true) {
            Object msg = in.current();
            if (msg == null) return;
            if (!(msg instanceof ByteBuf buf)) {
                in.remove(new UnsupportedOperationException("only ByteBufs travel on a relayed stream"));
                continue;
            }
            if (!stream.isWritable()) return; // resumed from onWritabilityChanged
            sent += buf.readableBytes();
            if (overLimit(sent)) {
                throw new ClosedChannelException(); // past the relay's data limit: it would reset us anyway
            }
            if (buf.isReadable() && stream.write(buf.retain()) != Stream.WriteResult.ACCEPTED) { // stream releases
                throw new ClosedChannelException();
            }
            in.remove(); // releases our reference
        }
    }

    @Override
    public ChannelConfig config() {
        return config;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public boolean isActive() {
        return open;
    }

    @Override
    public ChannelMetadata metadata() {
        return METADATA;
    }
}
