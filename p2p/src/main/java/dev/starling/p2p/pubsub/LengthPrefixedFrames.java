package dev.starling.p2p.pubsub;

import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.multiformats.Uvarint;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a stream's bytes into uvarint-length-prefixed frames (the "LP-protobuf" framing of gossipsub and kad-dht).
 * The declared length is checked against the cap before any frame buffer is allocated. Also used by the kad service.
 *
 * <p>One instance per stream, used on the stream's owner thread. Buffers: {@link #offer} takes ownership of its
 * argument (it is added to the cumulation, which this class releases); {@link #release} must be called when the
 * stream closes.
 */
public final class LengthPrefixedFrames {
    private final int maxFrame;
    private final CompositeByteBuf cumulation = ByteBufAllocator.DEFAULT.compositeBuffer(64);

    /**
     * Creates a reader.
     *
     * @param maxFrame the largest frame accepted
     */
    public LengthPrefixedFrames(int maxFrame) {
        this.maxFrame = maxFrame;
    }

    /**
     * Adds bytes and returns the complete frames they finish.
     *
     * @param data inbound bytes; ownership passes to this reader
     * @return complete frames, possibly none
     * @throws P2pException PROTOCOL_VIOLATION when a frame is larger than the cap or its length is malformed
     */
    public List<byte[]> offer(ByteBuf data) {
        cumulation.addComponent(true, data);
        List<byte[]> frames = new ArrayList<>();
        while (true) {
            long peeked = Uvarint.peek(cumulation);
            if (peeked == Uvarint.NEED_MORE) {
                break;
            }
            long length = Uvarint.value(peeked);
            if (length > maxFrame) {
                throw P2pException.protocolViolation("frame of " + length + " bytes exceeds the cap " + maxFrame);
            }
            int header = Uvarint.length(peeked);
            if (cumulation.readableBytes() < header + length) {
                break;
            }
            cumulation.skipBytes(header);
            byte[] frame = new byte[(int) length];
            cumulation.readBytes(frame);
            frames.add(frame);
        }
        cumulation.discardReadComponents();
        return frames;
    }

    /** Releases buffered bytes. Idempotent. */
    public void release() {
        if (cumulation.refCnt() > 0) {
            cumulation.release();
        }
    }

    /**
     * Frames one message: uvarint length then the bytes.
     *
     * @param payload the message bytes
     * @return a new buffer; the caller passes it to {@code Stream.write}, which releases it
     */
    public static ByteBuf frame(byte[] payload) {
        ByteBuf buf = Unpooled.buffer(Uvarint.size(payload.length) + payload.length);
        Uvarint.write(buf, payload.length);
        buf.writeBytes(payload);
        return buf;
    }
}
