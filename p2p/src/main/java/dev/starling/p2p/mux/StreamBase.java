package dev.starling.p2p.mux;

import dev.starling.p2p.core.Connection;
import dev.starling.p2p.core.ProtocolHandler;
import dev.starling.p2p.core.Stream;
import dev.starling.p2p.core.StreamHandler;
import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The part of a {@link Stream} every muxer shares: handler attachment, inbound buffering while no handler is
 * attached or auto-read is off, half-close and reset bookkeeping, writability events. Subclasses (yamux,
 * in-memory) put bytes on their wire.
 *
 * <p><b>Thread.</b> All state belongs to {@link #executor()}; public methods called from other threads are
 * posted there. Methods without {@code public} must be called on the executor.
 *
 * <p><b>Buffers.</b> Inbound buffers handed to {@link #receiveData} are owned by this stream until delivered
 * to the handler (which then owns them) or released on close. Outbound buffers given to {@link #write} are
 * passed to {@link #transmit} or released.
 */
public abstract class StreamBase implements Stream {
    private static final Logger LOG = LoggerFactory.getLogger(StreamBase.class);

    private final EventExecutor executor;
    private final Connection connection;
    private final boolean initiator;
    private final CompletableFuture<Void> closeFuture = new CompletableFuture<>();
    private final ArrayDeque<ByteBuf> inbound = new ArrayDeque<>();
    private String protocol = "";
    private StreamHandler handler;
    private boolean autoRead = true;
    private boolean localClosed;
    private boolean remoteClosed;
    private boolean remoteClosedDelivered;
    private boolean finished;
    private boolean writable = true;
    private volatile boolean writeClosedHint;

    /**
     * Creates a stream.
     *
     * @param executor   the owner thread
     * @param connection the connection it runs on
     * @param initiator  true if we opened it
     */
    protected StreamBase(EventExecutor executor, Connection connection, boolean initiator) {
        this.executor = executor;
        this.connection = connection;
        this.initiator = initiator;
    }

    // ---- subclass hooks, all on the executor ----

    /**
     * Sends or queues bytes; takes ownership.
     *
     * @param data the bytes
     * @return false if the queue cap was reached (the buffer is then released by the caller)
     */
    protected abstract boolean transmit(ByteBuf data);

    /** Sends FIN once queued bytes are out. */
    protected abstract void transmitFin();

    /** Sends RST and drops queued bytes. */
    protected abstract void transmitReset();

    /**
     * The handler consumed {@code bytes} inbound bytes: return credit to the remote.
     *
     * @param bytes the number of bytes
     */
    protected abstract void consumed(int bytes);

    /**
     * Returns outbound bytes waiting for the remote window.
     *
     * @return the count
     */
    protected abstract long queuedBytes();

    /** Called once when the stream is finished, so the muxer can forget it. */
    protected abstract void onFinished();

    // ---- muxer side ----

    /**
     * Attaches the protocol handler after negotiation and delivers what arrived meanwhile.
     *
     * @param protocolId the negotiated protocol id
     * @param factory    the protocol handler
     */
    public void attach(String protocolId, ProtocolHandler factory) {
        attach(protocolId, factory, null);
    }

    /**
     * Attaches the protocol handler after negotiation; {@code leftover} (bytes that followed the negotiation,
     * owned by this stream from now on) is delivered first.
     *
     * @param protocolId the negotiated protocol id
     * @param factory    the protocol handler
     * @param leftover   bytes to deliver before anything else, or null
     */
    public void attach(String protocolId, ProtocolHandler factory, ByteBuf leftover) {
        if (leftover != null) {
            if (leftover.isReadable() && !finished) {
                inbound.addFirst(leftover);
            } else {
                leftover.release();
            }
        }
        this.protocol = protocolId;
        try {
            this.handler = factory.onStream(this);
        } catch (RuntimeException e) {
            LOG.debug("protocol handler for {} failed: {}", protocolId, e.toString());
            reset();
            return;
        }
        drain();
    }

    /**
     * Returns true once a handler is attached.
     *
     * @return whether {@link #attach} ran
     */
    public boolean isAttached() {
        return handler != null;
    }

    /**
     * Bytes arrived from the wire; takes ownership.
     *
     * @param data the bytes
     */
    public void receiveData(ByteBuf data) {
        if (finished || remoteClosed) {
            data.release();
            return;
        }
        inbound.add(data);
        drain();
    }

    /** The remote half-closed. */
    public void receiveFin() {
        remoteClosed = true;
        drain();
    }

    /** The remote reset the stream, or the connection is gone. */
    public void receiveReset() {
        finish(true);
    }

    /** Re-evaluates writability after the queue shrank or grew; fires the handler event on change. */
    protected void updateWritability() {
        boolean now = !localClosed && !finished && queuedBytes() < WRITE_HIGH_WATER_MARK;
        if (now != writable) {
            writable = now;
            if (handler != null) {
                try {
                    handler.onWritabilityChanged(this);
                } catch (RuntimeException e) {
                    LOG.debug("onWritabilityChanged failed on {}: {}", protocol, e.toString());
                    reset();
                }
            }
        }
    }

    /**
     * Returns true when our write side was closed (FIN sent or queued).
     *
     * @return whether we half-closed
     */
    protected boolean isLocalClosed() {
        return localClosed;
    }

    /** Both sides closed cleanly: finish if that happened. */
    protected void maybeFinishClean() {
        if (localClosed && remoteClosedDelivered && inbound.isEmpty() && queuedBytes() == 0) finish(false);
    }

    private void drain() {
        if (handler == null || finished) return;
        while (autoRead && !inbound.isEmpty() && !finished) {
            ByteBuf b = inbound.poll();
            int n = b.readableBytes();
            try {
                handler.onData(this, b); // the handler now owns b
            } catch (RuntimeException e) {
                LOG.debug("onData failed on {}: {}", protocol, e.toString());
                reset();
                return;
            }
            consumed(n);
        }
        if (remoteClosed && inbound.isEmpty() && !remoteClosedDelivered && !finished) {
            remoteClosedDelivered = true;
            try {
                handler.onRemoteClosed(this);
            } catch (RuntimeException e) {
                LOG.debug("onRemoteClosed failed on {}: {}", protocol, e.toString());
                reset();
                return;
            }
            maybeFinishClean();
        }
    }

    private void finish(boolean wasReset) {
        if (finished) return;
        finished = true;
        localClosed = true;
        writeClosedHint = true;
        ByteBuf b;
        while ((b = inbound.poll()) != null) b.release();
        onFinished();
        if (handler != null) {
            try {
                handler.onClosed(this, wasReset);
            } catch (RuntimeException e) {
                LOG.debug("onClosed failed on {}: {}", protocol, e.toString());
            }
        }
        closeFuture.complete(null);
    }

    // ---- Stream API ----

    @Override
    public String protocol() {
        return protocol;
    }

    @Override
    public Connection connection() {
        return connection;
    }

    @Override
    public boolean isInitiator() {
        return initiator;
    }

    @Override
    public EventExecutor executor() {
        return executor;
    }

    @Override
    public WriteResult write(ByteBuf data) {
        if (!executor.inEventLoop()) {
            if (writeClosedHint) {
                ReferenceCountUtil.release(data);
                return WriteResult.CLOSED;
            }
            executor.execute(() -> write(data));
            return WriteResult.ACCEPTED;
        }
        if (localClosed || finished) {
            data.release();
            return WriteResult.CLOSED;
        }
        if (!data.isReadable()) {
            data.release();
            return WriteResult.ACCEPTED;
        }
        if (queuedBytes() + data.readableBytes() > MAX_QUEUED_WRITE_BYTES) {
            data.release();
            return WriteResult.BUFFER_FULL;
        }
        if (!transmit(data)) return WriteResult.BUFFER_FULL;
        updateWritability();
        return WriteResult.ACCEPTED;
    }

    @Override
    public boolean isWritable() {
        return writable;
    }

    @Override
    public void setAutoRead(boolean on) {
        if (!executor.inEventLoop()) {
            executor.execute(() -> setAutoRead(on));
            return;
        }
        autoRead = on;
        drain();
    }

    @Override
    public void closeWrite() {
        if (!executor.inEventLoop()) {
            executeUnlessGone(this::closeWrite);
            return;
        }
        if (localClosed || finished) return;
        localClosed = true;
        writeClosedHint = true;
        transmitFin();
        maybeFinishClean();
    }

    @Override
    public void reset() {
        if (!executor.inEventLoop()) {
            executeUnlessGone(this::reset);
            return;
        }
        if (finished) return;
        transmitReset();
        finish(true);
    }

    /** Runs a close or reset on the connection's event loop; once that loop has terminated, the stream is gone too. */
    private void executeUnlessGone(Runnable task) {
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            LOG.debug("stream {}: its connection's event loop has terminated; nothing left to close", this);
        }
    }

    @Override
    public CompletableFuture<Void> closeFuture() {
        return closeFuture;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + protocol + " " + connection.remotePeer() + "]";
    }
}
