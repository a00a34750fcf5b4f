package dev.starling.p2p.relay;

import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.Stream;
import dev.starling.p2p.core.StreamHandler;
import dev.starling.p2p.multiformats.Uvarint;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import java.util.concurrent.CompletableFuture;

/**
 * Reads exactly one uvarint-length-prefixed message from a stream, then hands the stream, with the bytes that
 * came behind the message, to the next handler ({@link #switchTo}): a hop or stop stream turns into a raw
 * relayed pipe after its one request and one answer. After the message, auto-read is off until the switch.
 *
 * <p><b>Thread.</b> The stream's owner thread; {@link #message()} completes there. <b>Buffers.</b> Bytes not yet
 * handed on are released when the stream closes. <b>Failures.</b> A length over the cap or a malformed varint
 * fails {@link #message()} with PROTOCOL_VIOLATION and resets the stream; a close before the message fails it
 * with CLOSED.
 */
final class FirstMessageReader implements StreamHandler {
    /** Most bytes buffered behind the message before the switch (the peer should wait for our answer). */
    static final int MAX_EARLY_BYTES = 64 * 1024;

    private final int maxMessageBytes;
    private final CompletableFuture<byte[]> message = new CompletableFuture<>();
    private CompositeByteBuf pending = ByteBufAllocator.DEFAULT.compositeBuffer();
    private StreamHandler next;
    private boolean remoteClosedEarly;
    private boolean closedEarly;
    private boolean closedByReset;

    FirstMessageReader(int maxMessageBytes) {
        this.maxMessageBytes = maxMessageBytes;
    }

    /** Completes with the message, or fails; on the stream's thread. */
    CompletableFuture<byte[]> message() {
        return message;
    }

    /**
     * Hands the stream to {@code handler}: delivers the bytes buffered behind the message, then turns auto-read
     * back on. Call on the stream's thread, after {@link #message()} completed.
     */
    void switchTo(Stream stream, StreamHandler handler) {
        next = handler;
        CompositeByteBuf rest = pending;
        pending = null;
        if (rest != null && rest.isReadable()) {
            handler.onData(stream, rest); // the handler releases it
        } else if (rest != null) {
            rest.release();
        }
        if (remoteClosedEarly) handler.onRemoteClosed(stream);
        if (closedEarly) {
            handler.onClosed(stream, closedByReset);
        } else {
            stream.setAutoRead(true);
        }
    }

    @Override
    public void onData(Stream stream, ByteBuf data) {
        if (next != null) {
            next.onData(stream, data);
            return;
        }
        if (pending == null) {
            data.release();
            return;
        }
        if (message.isDone() && pending.readableBytes() + data.readableBytes() > MAX_EARLY_BYTES) {
            data.release();
            stream.reset();
            return;
        }
        pending.addComponent(true, data);
        if (message.isDone()) return;
        try {
            long peek = Uvarint.peek(pending);
            if (peek == Uvarint.NEED_MORE) return;
            long length = Uvarint.value(peek);
            if (length > maxMessageBytes) {
                throw new RelayWireException("message of " + length + " bytes > cap " + maxMessageBytes);
            }
            int header = Uvarint.length(peek);
            if (pending.readableBytes() < header + length) return;
            pending.skipBytes(header);
            byte[] body = new byte[(int) length];
            pending.readBytes(body);
            pending.discardReadComponents();
            stream.setAutoRead(false);
            message.complete(body);
        } catch (P2pException e) {
            message.completeExceptionally(e);
            stream.reset();
        }
    }

    @Override
    public void onRemoteClosed(Stream stream) {
        if (next != null) {
            next.onRemoteClosed(stream);
        } else if (message.isDone()) {
            remoteClosedEarly = true;
        } else {
            message.completeExceptionally(P2pException.closed("stream closed before its relay message"));
        }
    }

    @Override
    public void onClosed(Stream stream, boolean reset) {
        if (pending != null) {
            pending.release();
            pending = null;
        }
        if (next != null) {
            next.onClosed(stream, reset);
        } else {
            closedEarly = true;
            closedByReset = reset;
            message.completeExceptionally(P2pException.closed("stream closed before its relay message"));
        }
    }

    @Override
    public void onWritabilityChanged(Stream stream) {
        if (next != null) next.onWritabilityChanged(stream);
    }
}
