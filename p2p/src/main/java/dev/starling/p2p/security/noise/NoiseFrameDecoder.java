package dev.starling.p2p.security.noise;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Splits the byte stream into Noise messages: a 2-byte big-endian length, then that many bytes. The length
 * field itself caps a frame at 65535 bytes, so nothing larger is ever buffered. Emits retained slices that
 * the next handler releases. Runs on the channel's event loop.
 */
public final class NoiseFrameDecoder extends ByteToMessageDecoder {
    /** Largest Noise message (the 2-byte length field's limit). */
    public static final int MAX_FRAME = 65535;

    /** Creates a decoder. */
    public NoiseFrameDecoder() {
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.readableBytes() >= 2) {
            int len = in.getUnsignedShort(in.readerIndex());
            if (in.readableBytes() < 2 + len) return;
            in.skipBytes(2);
            out.add(in.readRetainedSlice(len));
        }
    }
}
