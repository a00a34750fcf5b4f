package dev.starling.p2p.codec;

import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.multiformats.Uvarint;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Splits a stream's bytes into uvarint-length-prefixed messages ("LP-protobuf"), checking each length against
 * a cap before buffering the message. Use one per stream, on the stream's owner thread.
 *
 * <p><b>Buffers.</b> {@link #feed} takes ownership of its input. Each message handed to the consumer is a
 * buffer the consumer owns and must release. {@link #release()} drops buffered bytes (call it from
 * {@code onClosed}).
 */
public final class LengthPrefixedFrames {
    private final int maxMessageBytes;
    private CompositeByteBuf pending;

    /**
     * Creates a splitter.
     *
     * @param alloc           allocator for the cumulation buffer
     * @param maxMessageBytes largest message accepted
     */
    public LengthPrefixedFrames(ByteBufAllocator alloc, int maxMessageBytes) {
        this.maxMessageBytes = maxMessageBytes;
        this.pending = alloc.compositeBuffer();
    }

    /**
     * Feeds bytes and hands every complete message to {@code sink}.
     *
     * @param data received bytes; ownership passes here
     * @param sink receives each message (owns it)
     * @throws P2pException PROTOCOL_VIOLATION if a length exceeds the cap or a varint is malformed
     */
    public void feed(ByteBuf data, Consumer<ByteBuf> sink) {
        if (pending == null) {
            data.release();
            return;
        }
        pending.addComponent(true, data);
        while (pending.isReadable()) {
            long peek = Uvarint.peek(pending);
            if (peek == Uvarint.NEED_MORE) break;
            long len = Uvarint.value(peek);
            if (len > maxMessageBytes) {
                throw P2pException.protocolViolation("message of " + len + " bytes exceeds cap " + maxMessageBytes);
            }
            int header = Uvarint.length(peek);
            if (pending.readableBytes() < header + len) break;
            pending.skipBytes(header);
            sink.accept(pending.readRetainedSlice((int) len));
        }
        pending.discardReadComponents();
    }

    /**
     * Creates a splitter on the default allocator.
     *
     * @param maxMessageBytes largest message accepted
     */
    public LengthPrefixedFrames(int maxMessageBytes) {
        this(ByteBufAllocator.DEFAULT, maxMessageBytes);
    }

    /**
     * Feeds bytes and returns copies of the messages they complete (for protocols that decode from
     * {@code byte[]}, such as protobuf).
     *
     * @param data received bytes; ownership passes here
     * @return complete messages, possibly none
     * @throws P2pException PROTOCOL_VIOLATION if a length exceeds the cap or a varint is malformed
     */
    public List<byte[]> offer(ByteBuf data) {
        List<byte[]> messages = new ArrayList<>();
        feed(data, message -> {
            try {
                messages.add(ByteBufUtil.getBytes(message));
            } finally {
                message.release();
            }
        });
        return messages;
    }

    /**
     * Encodes one message with its uvarint length prefix on the default allocator.
     *
     * @param body message bytes
     * @return a new buffer owned by the caller (normally passed to {@code Stream.write}, which releases it)
     */
    public static ByteBuf frame(byte[] body) {
        return encode(ByteBufAllocator.DEFAULT, body);
    }

    /**
     * Returns the number of buffered bytes of an incomplete message.
     *
     * @return the count
     */
    public int buffered() {
        return pending == null ? 0 : pending.readableBytes();
    }

    /** Releases buffered bytes. Idempotent. */
    public void release() {
        if (pending != null) {
            pending.release();
            pending = null;
        }
    }

    /**
     * Encodes one message with its uvarint length prefix.
     *
     * @param alloc allocator
     * @param body  message bytes
     * @return a new buffer owned by the caller
     */
    public static ByteBuf encode(ByteBufAllocator alloc, byte[] body) {
        ByteBuf out = alloc.buffer(Uvarint.size(body.length) + body.length);
        Uvarint.write(out, body.length);
        out.writeBytes(body);
        return out;
    }
}
