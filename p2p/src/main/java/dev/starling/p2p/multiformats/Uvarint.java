package dev.starling.p2p.multiformats;

import dev.starling.p2p.core.P2pException;
import io.netty.buffer.ByteBuf;
import java.io.ByteArrayOutputStream;

/**
 * The multiformats unsigned varint (LEB128, at most 9 bytes, minimal encoding required). Pure; thread-safe.
 */
public final class Uvarint {
    /** Marker returned by {@link #peek} when more bytes are needed. */
    public static final long NEED_MORE = -1;
    private static final int MAX_BYTES = 9;

    private Uvarint() {
    }

    /**
     * Reads a uvarint from {@code buf} at its reader index without consuming it.
     *
     * @param buf the buffer
     * @return the value with its byte length in the top 8 bits ({@code (len << 56) | value}), or
     *         {@link #NEED_MORE} if the buffer ends first
     * @throws P2pException PROTOCOL_VIOLATION if over-long or not minimal
     */
    public static long peek(ByteBuf buf) {
        long value = 0;
        int start = buf.readerIndex();
        for (int i = 0; i < MAX_BYTES; i++) {
            if (start + i >= buf.writerIndex()) return NEED_MORE;
            int b = buf.getUnsignedByte(start + i);
            value |= (long) (b & 0x7f) << (7 * i);
            if ((b & 0x80) == 0) {
                if (b == 0 && i > 0) throw P2pException.protocolViolation("varint not minimally encoded");
                return ((long) (i + 1) << 56) | value;
            }
        }
        throw P2pException.protocolViolation("varint longer than 9 bytes");
    }

    /**
     * Returns the value part of a {@link #peek} result.
     *
     * @param peeked the peek result
     * @return the value
     */
    public static long value(long peeked) {
        return peeked & 0x00ff_ffff_ffff_ffffL;
    }

    /**
     * Returns the length part of a {@link #peek} result.
     *
     * @param peeked the peek result
     * @return bytes used by the varint
     */
    public static int length(long peeked) {
        return (int) (peeked >>> 56);
    }

    /**
     * Reads a uvarint from a byte array.
     *
     * @param bytes  the array
     * @param offset where to start; {@code pos[0]} receives the offset after it
     * @param pos    one-element out parameter
     * @return the value
     * @throws P2pException PROTOCOL_VIOLATION if truncated, over-long or not minimal
     */
    public static long read(byte[] bytes, int offset, int[] pos) {
        long value = 0;
        for (int i = 0; i < MAX_BYTES; i++) {
            if (offset + i >= bytes.length) throw P2pException.protocolViolation("truncated varint");
            int b = bytes[offset + i] & 0xff;
            value |= (long) (b & 0x7f) << (7 * i);
            if ((b & 0x80) == 0) {
                if (b == 0 && i > 0) throw P2pException.protocolViolation("varint not minimally encoded");
                pos[0] = offset + i + 1;
                return value;
            }
        }
        throw P2pException.protocolViolation("varint longer than 9 bytes");
    }

    /**
     * Writes a uvarint into a buffer.
     *
     * @param buf   the buffer
     * @param value a non-negative value
     */
    public static void write(ByteBuf buf, long value) {
        long v = value;
        while ((v & ~0x7fL) != 0) {
            buf.writeByte((int) ((v & 0x7f) | 0x80));
            v >>>= 7;
        }
        buf.writeByte((int) v);
    }

    /**
     * Writes a uvarint into a stream.
     *
     * @param out   the stream
     * @param value a non-negative value
     */
    public static void write(ByteArrayOutputStream out, long value) {
        long v = value;
        while ((v & ~0x7fL) != 0) {
            out.write((int) ((v & 0x7f) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    /**
     * Returns the encoded size of a value.
     *
     * @param value a non-negative value
     * @return 1 to 9
     */
    public static int size(long value) {
        int n = 1;
        long v = value >>> 7;
        while (v != 0) {
            n++;
            v >>>= 7;
        }
        return n;
    }
}
