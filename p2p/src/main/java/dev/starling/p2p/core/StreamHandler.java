package dev.starling.p2p.core;

import io.netty.buffer.ByteBuf;

/**
 * Receives the events of one {@link Stream}. Every method runs on the stream's owner thread
 * ({@link Stream#executor()}), one at a time; none may block. An exception thrown from a callback resets
 * the stream (not the connection) and is logged.
 */
public interface StreamHandler {
    /**
     * Inbound bytes arrived. The handler owns {@code data} and must release it, in {@code finally}.
     *
     * @param stream the stream
     * @param data   a readable buffer, never empty
     */
    void onData(Stream stream, ByteBuf data);

    /**
     * The remote closed its write side (FIN): no more {@link #onData} calls follow. We may still write.
     *
     * @param stream the stream
     */
    default void onRemoteClosed(Stream stream) {
    }

    /**
     * The stream is fully closed or was reset; called exactly once, last.
     *
     * @param stream the stream
     * @param reset  true if it ended by a reset (either side) or connection loss, false on a clean close
     */
    default void onClosed(Stream stream, boolean reset) {
    }

    /**
     * {@link Stream#isWritable()} changed.
     *
     * @param stream the stream
     */
    default void onWritabilityChanged(Stream stream) {
    }
}
