package dev.starling.collectives.verify;

import dev.starling.collectives.CollectivesException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Bytes ⇄ {@link AuditMessage}s for one round, little-endian. Every frame is
 *
 * <pre>
 *   0      1        9
 *   +------+--------+------------------------------------------------------------+
 *   | kind | round  | body                                                       |
 *   +------+--------+------------------------------------------------------------+
 *   COMMIT    root[32]
 *   PROJECT   used bitmap[⌈n/8⌉], then per part: present u8 (, distance f32, K × f32)
 *   ACCUSE    count u16, parts u16[count]      (one frame per member, possibly empty)
 *   REVEAL    part u16, values f32[part length], part hashes [n][32]
 *   RECEIPTS  part u16, per member: present u8 (, hash[32])
 *   DONE      (empty: the sender has sent all its reveals and receipts)
 * </pre>
 *
 * <p>The sender is never in the bytes: the transport passes the authenticated roster index. Sizes follow from the
 * round's group size, K and part lengths, so a decoder checks the frame length before reading and rejects anything
 * else with a PROTOCOL_VIOLATION. Pure; any thread.
 */
public final class AuditCodec {
    /** Frame kinds. */
    public enum Kind {
        /** {@link AuditMessage.Commitment}. */
        COMMIT,
        /** {@link AuditMessage.Projections}. */
        PROJECT,
        /** A member's accusations ({@link AuditMessage.Accusation}s). */
        ACCUSE,
        /** {@link AuditMessage.Reveal}. */
        REVEAL,
        /** {@link AuditMessage.Receipts}. */
        RECEIPTS,
        /** End of a member's reveals. */
        DONE
    }

    /** Bytes before the body. */
    public static final int HEADER = 9;

    private final int n;
    private final int projections;
    private final int[] partLengths;

    /**
     * A codec for one group shape.
     *
     * @param n           group size
     * @param projections K
     * @param partLengths each part's length
     */
    public AuditCodec(final int n, final int projections, final int[] partLengths) {
        if (n < 1 || projections < 1 || partLengths.length != n) {
            throw CollectivesException.internal("audit codec for n=" + n + " K=" + projections);
        }
        this.n = n;
        this.projections = projections;
        this.partLengths = partLengths.clone();
    }

    /**
     * The largest frame this codec can produce or accept.
     *
     * @return bytes
     */
    public int maxFrameBytes() {
        int longest = 0;
        for (int len : partLengths) {
            longest = Math.max(longest, len);
        }
        return HEADER + Math.max(2 + 4 * longest + 32 * n, (n + 7) / 8 + n * (1 + 4 * (projections + 1)))
            + 2 + 33 * n;
    }

    /**
     * Encodes one message.
     *
     * @param round the round
     * @param msg   the message
     * @return the frame
     */
    public byte[] encode(final long round, final AuditMessage msg) {
        return switch (msg) {
            case AuditMessage.Commitment c -> frame(Kind.COMMIT, round, 32).put(c.root()).array();
            case AuditMessage.Projections p -> encodeProjections(round, p);
            case AuditMessage.Accusation a -> encodeAccusations(round, List.of(a.part()));
            case AuditMessage.Reveal r -> {
                ByteBuffer b = frame(Kind.REVEAL, round, 2 + 4 * r.values().length + 32 * n).putShort((short) r.part());
                for (float v : r.values()) {
                    b.putFloat(v);
                }
                for (byte[] h : r.partHashes()) {
                    b.put(h);
                }
                yield b.array();
            }
            case AuditMessage.Receipts r -> {
                int size = 2;
                for (byte[] h : r.hashes()) {
                    size += h == null ? 1 : 33;
                }
                ByteBuffer b = frame(Kind.RECEIPTS, round, size).putShort((short) r.part());
                for (byte[] h : r.hashes()) {
                    b.put((byte) (h == null ? 0 : 1));
                    if (h != null) {
                        b.put(h);
                    }
                }
                yield b.array();
            }
        };
    }

    /**
     * Encodes a member's accusations as one frame (empty: it accuses nobody).
     *
     * @param round the round
     * @param parts the accused parts
     * @return the frame
     */
    public byte[] encodeAccusations(final long round, final List<Integer> parts) {
        ByteBuffer b = frame(Kind.ACCUSE, round, 2 + 2 * parts.size()).putShort((short) parts.size());
        parts.forEach(p -> b.putShort((short) (int) p));
        return b.array();
    }

    /**
     * Encodes the end of a member's reveals.
     *
     * @param round the round
     * @return the frame
     */
    public byte[] encodeDone(final long round) {
        return frame(Kind.DONE, round, 0).array();
    }

    private byte[] encodeProjections(final long round, final AuditMessage.Projections p) {
        int size = (n + 7) / 8;
        for (ClipProjection c : p.projections()) {
            size += c == null ? 1 : 1 + 4 * (projections + 1);
        }
        ByteBuffer b = frame(Kind.PROJECT, round, size);
        byte[] bits = new byte[(n + 7) / 8];
        for (int m = 0; m < n; m++) {
            if (p.used()[m]) {
                bits[m / 8] |= (byte) (1 << (m % 8));
            }
        }
        b.put(bits);
        for (ClipProjection c : p.projections()) {
            b.put((byte) (c == null ? 0 : 1));
            if (c != null) {
                b.putFloat((float) c.distance());
                for (double s : c.projections()) {
                    b.putFloat((float) s);
                }
            }
        }
        return b.array();
    }

    private static ByteBuffer frame(final Kind kind, final long round, final int body) {
        return ByteBuffer.allocate(HEADER + body).order(ByteOrder.LITTLE_ENDIAN).put((byte) kind.ordinal())
            .putLong(round);
    }

    /**
     * The kind and round of a frame, checked before anything else is read.
     *
     * @param frame the bytes
     * @return the kind
     * @throws CollectivesException PROTOCOL_VIOLATION for a short frame or an unknown kind
     */
    public static Kind kind(final byte[] frame) {
        if (frame.length < HEADER || (frame[0] & 0xFF) >= Kind.values().length) {
            throw CollectivesException.protocolViolation("audit frame of " + frame.length + " bytes, kind "
                + (frame.length == 0 ? -1 : frame[0]));
        }
        return Kind.values()[frame[0] & 0xFF];
    }

    /**
     * The round a frame is for.
     *
     * @param frame a frame that passed {@link #kind}
     * @return the round
     */
    public static long round(final byte[] frame) {
        return ByteBuffer.wrap(frame, 1, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    /**
     * Decodes a frame's messages (an ACCUSE frame gives one per part; DONE gives none).
     *
     * @param sender the sender's authenticated roster index
     * @param frame  the bytes
     * @return the messages
     * @throws CollectivesException PROTOCOL_VIOLATION for anything malformed
     */
    public List<AuditMessage> decode(final int sender, final byte[] frame) {
        Kind kind = kind(frame);
        ByteBuffer b = ByteBuffer.wrap(frame).order(ByteOrder.LITTLE_ENDIAN);
        b.position(HEADER);
        List<AuditMessage> out = new ArrayList<>();
        try {
            switch (kind) {
                case COMMIT -> out.add(new AuditMessage.Commitment(sender, bytes(b, 32)));
                case PROJECT -> out.add(decodeProjections(sender, b));
                case ACCUSE -> {
                    int count = b.getShort() & 0xFFFF;
                    if (count > n) {
                        throw CollectivesException.protocolViolation(count + " accusations in a group of " + n);
                    }
                    for (int i = 0; i < count; i++) {
                        out.add(new AuditMessage.Accusation(sender, part(b)));
                    }
                }
                case REVEAL -> {
                    int part = part(b);
                    float[] values = new float[partLengths[part]];
                    for (int c = 0; c < values.length; c++) {
                        values[c] = b.getFloat();
                    }
                    byte[][] hashes = new byte[n][];
                    for (int m = 0; m < n; m++) {
                        hashes[m] = bytes(b, 32);
                    }
                    out.add(new AuditMessage.Reveal(sender, part, values, hashes));
                }
                case RECEIPTS -> {
                    int part = part(b);
                    byte[][] hashes = new byte[n][];
                    for (int m = 0; m < n; m++) {
                        hashes[m] = b.get() == 0 ? null : bytes(b, 32);
                    }
                    out.add(new AuditMessage.Receipts(sender, part, hashes));
                }
                case DONE -> {
                    // Nothing but the signal.
                }
            }
        } catch (BufferUnderflowException e) {
            throw CollectivesException.protocolViolation(kind + " frame of " + frame.length + " bytes is truncated");
        }
        if (b.hasRemaining()) {
            throw CollectivesException.protocolViolation(kind + " frame has " + b.remaining() + " trailing bytes");
        }
        return out;
    }

    private AuditMessage.Projections decodeProjections(final int sender, final ByteBuffer b) {
        byte[] bits = bytes(b, (n + 7) / 8);
        boolean[] used = new boolean[n];
        for (int m = 0; m < n; m++) {
            used[m] = (bits[m / 8] & (1 << (m % 8))) != 0;
        }
        ClipProjection[] ps = new ClipProjection[n];
        for (int p = 0; p < n; p++) {
            if (b.get() != 0) {
                double distance = b.getFloat();
                double[] s = new double[projections];
                for (int k = 0; k < projections; k++) {
                    s[k] = b.getFloat();
                }
                ps[p] = new ClipProjection(s, distance);
            }
        }
        return new AuditMessage.Projections(sender, ps, used);
    }

    private int part(final ByteBuffer b) {
        int part = b.getShort() & 0xFFFF;
        if (part >= n) {
            throw CollectivesException.protocolViolation("part " + part + " in a group of " + n);
        }
        return part;
    }

    private static byte[] bytes(final ByteBuffer b, final int count) {
        byte[] out = new byte[count];
        b.get(out);
        return out;
    }
}
