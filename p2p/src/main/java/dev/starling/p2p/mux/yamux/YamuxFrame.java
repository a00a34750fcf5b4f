package dev.starling.p2p.mux.yamux;

import io.netty.buffer.ByteBuf;

/**
 * One yamux frame (libp2p/specs yamux/README.md). The 12-byte header, big endian:
 *
 * <pre>
 *  0        1        2               4                               8                              12
 *  +--------+--------+---------------+-------------------------------+-------------------------------+
 *  |version |  type  |     flags     |           stream id           |            length             |
 *  +--------+--------+---------------+-------------------------------+-------------------------------+
 * </pre>
 *
 * Length is the payload size for Data, the window delta for WindowUpdate, the opaque value for Ping and the
 * error code for GoAway. {@code data} is non-null only for Data frames and is owned by whoever holds the
 * frame (the session releases it or passes it to a stream).
 *
 * @param type     {@link #DATA}, {@link #WINDOW_UPDATE}, {@link #PING} or {@link #GO_AWAY}
 * @param flags    bit set of {@link #SYN}, {@link #ACK}, {@link #FIN}, {@link #RST}
 * @param streamId the stream id (0 for the session)
 * @param length   the length field, unsigned 32 bits
 * @param data     payload of a Data frame, or null
 */
public record YamuxFrame(int type, int flags, int streamId, long length, ByteBuf data) {
    /** Header length in bytes. */
    public static final int HEADER_BYTES = 12;
    /** Frame type: data. */
    public static final int DATA = 0;
    /** Frame type: window update. */
    public static final int WINDOW_UPDATE = 1;
    /** Frame type: ping. */
    public static final int PING = 2;
    /** Frame type: go away. */
    public static final int GO_AWAY = 3;
    /** Flag: open a stream. */
    public static final int SYN = 1;
    /** Flag: acknowledge a stream. */
    public static final int ACK = 2;
    /** Flag: half-close. */
    public static final int FIN = 4;
    /** Flag: reset. */
    public static final int RST = 8;
    /** GoAway code: normal termination. */
    public static final int GO_AWAY_NORMAL = 0;
    /** GoAway code: protocol error. */
    public static final int GO_AWAY_PROTOCOL_ERROR = 1;
    /** GoAway code: internal error. */
    public static final int GO_AWAY_INTERNAL_ERROR = 2;

    /**
     * Writes a header.
     *
     * @param out      destination
     * @param type     frame type
     * @param flags    flags
     * @param streamId stream id
     * @param length   length field
     */
    public static void writeHeader(ByteBuf out, int type, int flags, int streamId, long length) {
        out.writeByte(0).writeByte(type).writeShort(flags).writeInt(streamId).writeInt((int) length);
    }

    /**
     * Returns true if {@code flag} is set.
     *
     * @param flag one flag bit
     * @return whether it is set
     */
    public boolean has(int flag) {
        return (flags & flag) != 0;
    }
}
