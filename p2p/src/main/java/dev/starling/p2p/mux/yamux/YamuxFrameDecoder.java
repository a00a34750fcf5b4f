package dev.starling.p2p.mux.yamux;

import dev.starling.p2p.core.P2pException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Decodes yamux frames from the secure channel's plaintext. Checks the version, type and the Data length
 * against {@link #maxDataBytes} from the header alone, before buffering the payload. Data payloads are
 * retained slices released by the session. Runs on the channel's event loop.
 */
public final class YamuxFrameDecoder extends ByteToMessageDecoder {
    private final int maxDataBytes;

    /**
     * Creates a decoder.
     *
     * @param maxDataBytes largest Data payload accepted (our largest receive window)
     */
    public YamuxFrameDecoder(int maxDataBytes) {
        this.maxDataBytes = maxDataBytes;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.readableBytes() >= YamuxFrame.HEADER_BYTES) {
            int at = in.readerIndex();
            int version = in.getUnsignedByte(at);
            int type = in.getUnsignedByte(at + 1);
            int flags = in.getUnsignedShort(at + 2);
            int streamId = in.getInt(at + 4);
            long length = in.getUnsignedInt(at + 8);
            if (version != 0) throw P2pException.protocolViolation("yamux version " + version);
            if (type > YamuxFrame.GO_AWAY) throw P2pException.protocolViolation("yamux frame type " + type);
            if (type == YamuxFrame.DATA) {
                if (length > maxDataBytes) {
                    throw P2pException.protocolViolation("yamux data frame of " + length + " bytes exceeds "
                            + maxDataBytes);
                }
                if (in.readableBytes() < YamuxFrame.HEADER_BYTES + length) return;
                in.skipBytes(YamuxFrame.HEADER_BYTES);
                out.add(new YamuxFrame(type, flags, streamId, length, in.readRetainedSlice((int) length)));
            } else {
                in.skipBytes(YamuxFrame.HEADER_BYTES);
                out.add(new YamuxFrame(type, flags, streamId, length, null));
            }
        }
    }
}
