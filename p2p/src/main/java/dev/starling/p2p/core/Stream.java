package dev.starling.p2p.core;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.EventExecutor;
import java.util.concurrent.CompletableFuture;

/**
 * One bidirectional, flow-controlled byte stream on a {@link Connection}, after its protocol id has been
 * negotiated (for example a yamux stream after multistream-select).
 *
 * <p><b>Thread.</b> A stream belongs to its connection's owner thread, {@link #executor()} (the Netty
 * event loop of the connection). Every {@link StreamHandler} callback runs there. The methods of this
 * interface may be called from any thread; calls from other threads are posted to the owner thread, so
 * calling them on the owner thread is cheapest.
 *
 * <p><b>Buffers.</b> {@link #write(ByteBuf)} takes ownership of the buffer: the stream releases it, also
 * when the write fails. Buffers given to {@link StreamHandler#onData} belong to the handler, which must
 * release them (in {@code finally}).
 *
 * <p><b>Back-pressure.</b> The remote's receive window bounds what the muxer sends; what does not fit is
 * queued inside the stream up to {@link #MAX_QUEUED_WRITE_BYTES}. {@link #isWritable()} turns false while
 * more than {@link #WRITE_HIGH_WATER_MARK} bytes are queued, and {@link StreamHandler#onWritabilityChanged}
 * fires when it changes. A write beyond {@link #MAX_QUEUED_WRITE_BYTES} fails with
 * {@link WriteResult#BUFFER_FULL} instead of allocating more. On the read side, credit is returned to the
 * remote as soon as {@code onData} returns; a handler that cannot keep up calls {@link #setAutoRead(false)}.
 */
public interface Stream {
    /** Queued bytes above which {@link #isWritable()} is false. */
    int WRITE_HIGH_WATER_MARK = 1 << 20;
    /** Hard cap on bytes queued in one stream waiting for the remote window. */
    int MAX_QUEUED_WRITE_BYTES = 16 << 20;

    /** Immediate outcome of a {@link #write(ByteBuf)} call. */
    enum WriteResult {
        /** Accepted: sent or queued. */
        ACCEPTED,
        /** Rejected because the stream's queue is at {@link #MAX_QUEUED_WRITE_BYTES}; the buffer was released. */
        BUFFER_FULL,
        /** Rejected because the write side is closed or the stream was reset; the buffer was released. */
        CLOSED
    }

    /**
     * Returns the negotiated protocol id.
     *
     * @return for example {@code /ipfs/ping/1.0.0}
     */
    String protocol();

    /**
     * Returns the connection this stream runs on.
     *
     * @return the connection
     */
    Connection connection();

    /**
     * Returns the remote peer (shorthand for {@code connection().remotePeer()}).
     *
     * @return the remote peer id
     */
    default PeerId remotePeer() {
        return connection().remotePeer();
    }

    /**
     * Returns true if we opened this stream.
     *
     * @return whether this side is the initiator
     */
    boolean isInitiator();

    /**
     * Returns the owner thread on which every callback runs.
     *
     * @return the connection's event loop
     */
    EventExecutor executor();

    /**
     * Writes bytes; takes ownership of {@code data}. When called off the owner thread the write is posted
     * and the result reflects only the state seen at call time ({@link WriteResult#ACCEPTED} unless closed).
     *
     * @param data the bytes; released by the stream
     * @return whether the bytes were accepted
     */
    WriteResult write(ByteBuf data);

    /**
     * Returns true while queued outbound bytes are below {@link #WRITE_HIGH_WATER_MARK}.
     *
     * @return whether writing more is welcome
     */
    boolean isWritable();

    /**
     * Turns automatic reading on or off. While off, inbound data stays buffered in the stream (bounded by
     * our receive window) and no window credit goes back to the remote.
     *
     * @param autoRead true to deliver data as it arrives
     */
    void setAutoRead(boolean autoRead);

    /** Half-closes the write side (yamux FIN) after queued bytes are sent. Idempotent. */
    void closeWrite();

    /** Aborts the stream in both directions (yamux RST); queued bytes are released. Idempotent. */
    void reset();

    /**
     * Completes when both directions are closed or the stream was reset; never completes exceptionally.
     *
     * @return the close future
     */
    CompletableFuture<Void> closeFuture();
}
