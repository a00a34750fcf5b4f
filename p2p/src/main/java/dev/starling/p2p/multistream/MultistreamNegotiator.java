package dev.starling.p2p.multistream;

import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.multiformats.Uvarint;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Predicate;

/**
 * The multistream-select 1.0 state machine (libp2p/specs connections/README.md), free of I/O: bytes in, bytes
 * out. The initiator sends the header and its first proposal in one write (pipelined); the responder sends
 * its header without waiting. Several messages in one read are parsed, and bytes after the final message are
 * handed back as leftover for the negotiated protocol.
 *
 * <p><b>Thread.</b> Confined to the owner of the connection or stream. <b>Buffers.</b> {@link #onData} takes
 * ownership of its input; output and leftover buffers in a {@link Step} belong to the caller.
 */
public final class MultistreamNegotiator {
    /** The protocol id of multistream-select 1.0. */
    public static final String HEADER = "/multistream/1.0.0";
    /** Longest message we accept (a 1024-byte protocol id plus newline, as js-libp2p). */
    public static final int MAX_MESSAGE_BYTES = 1025;
    /** Most proposals a responder answers before giving up on the dialer. */
    public static final int MAX_PROPOSALS = 32;
    private static final String NA = "na";

    private final boolean initiator;
    private final List<String> proposals;
    private final Predicate<String> accepts;
    private final ByteBufAllocator alloc;
    private CompositeByteBuf pending;
    private boolean headerSeen;
    private int proposalIndex;
    private int answered;
    private boolean done;

    /** Outcome of one call: bytes to send and, when finished, the protocol and leftover bytes. */
    public record Step(ByteBuf output, String protocol, ByteBuf leftover) {
        /**
         * Returns true once negotiation has finished.
         *
         * @return whether {@link #protocol()} is set
         */
        public boolean isDone() {
            return protocol != null;
        }
    }

    private MultistreamNegotiator(boolean initiator, List<String> proposals, Predicate<String> accepts,
                                  ByteBufAllocator alloc) {
        this.initiator = initiator;
        this.proposals = proposals;
        this.accepts = accepts;
        this.alloc = alloc;
        this.pending = alloc.compositeBuffer();
    }

    /**
     * Creates the dialer's side.
     *
     * @param proposals protocol ids in order of preference, non-empty
     * @param alloc     allocator for output
     * @return a negotiator
     */
    public static MultistreamNegotiator initiator(List<String> proposals, ByteBufAllocator alloc) {
        if (proposals.isEmpty()) throw new IllegalArgumentException("no protocols to propose");
        for (String p : proposals) checkId(p);
        return new MultistreamNegotiator(true, List.copyOf(proposals), p -> false, alloc);
    }

    /**
     * Creates the listener's side.
     *
     * @param accepts true for protocol ids we serve
     * @param alloc   allocator for output
     * @return a negotiator
     */
    public static MultistreamNegotiator responder(Predicate<String> accepts, ByteBufAllocator alloc) {
        return new MultistreamNegotiator(false, List.of(), accepts, alloc);
    }

    /**
     * Returns the first bytes to send: header (and, for the initiator, the first proposal).
     *
     * @return a buffer owned by the caller
     */
    public ByteBuf start() {
        ByteBuf out = alloc.buffer(64);
        writeMessage(out, HEADER);
        if (initiator) writeMessage(out, proposals.getFirst());
        return out;
    }

    /**
     * Feeds received bytes.
     *
     * @param in received bytes; ownership passes to the negotiator
     * @return what to send and whether negotiation finished
     * @throws P2pException PROTOCOL_VIOLATION on a malformed message, wrong header, no common protocol or
     *                      too many proposals; the caller closes the stream or connection
     */
    public Step onData(ByteBuf in) {
        if (done) {
            in.release();
            throw new IllegalStateException("negotiation already finished");
        }
        pending.addComponent(true, in);
        ByteBuf out = null;
        try {
            while (true) {
                String msg = readMessage();
                if (msg == null) return new Step(out, null, null);
                if (!headerSeen) {
                    if (!HEADER.equals(msg)) throw P2pException.protocolViolation("expected " + HEADER + ", got '"
                            + printable(msg) + "'");
                    headerSeen = true;
                    continue;
                }
                String chosen = initiator ? onAnswer(msg) : onProposal(msg);
                if (!initiator) {
                    if (out == null) out = alloc.buffer(64);
                    writeMessage(out, chosen == null ? NA : chosen);
                } else if (chosen == null) {
                    if (out == null) out = alloc.buffer(64);
                    writeMessage(out, proposals.get(proposalIndex));
                }
                if (chosen != null) {
                    done = true;
                    ByteBuf leftover = pending.readableBytes() > 0 ? pending.retainedSlice() : null;
                    return new Step(out, chosen, leftover);
                }
            }
        } catch (RuntimeException e) {
            if (out != null) out.release();
            release();
            throw e;
        } finally {
            if (done) {
                release();
            } else if (pending != null) {
                pending.discardReadComponents();
            }
        }
    }

    /** Releases buffered bytes; call when the stream or connection dies mid-negotiation. Idempotent. */
    public void release() {
        if (pending != null) {
            pending.release();
            pending = null;
        }
    }

    private String onAnswer(String msg) {
        if (msg.equals(proposals.get(proposalIndex))) return msg;
        if (!NA.equals(msg)) {
            throw P2pException.protocolViolation("expected echo of " + proposals.get(proposalIndex) + " or na, got '"
                    + printable(msg) + "'");
        }
        proposalIndex++;
        if (proposalIndex == proposals.size()) {
            throw P2pException.protocolViolation("remote supports none of " + proposals);
        }
        return null;
    }

    private String onProposal(String msg) {
        if (++answered > MAX_PROPOSALS) throw P2pException.protocolViolation("more than " + MAX_PROPOSALS
                + " protocol proposals");
        return accepts.test(msg) ? msg : null;
    }

    /** Reads one complete message from {@code pending}, or returns null if more bytes are needed. */
    private String readMessage() {
        if (!pending.isReadable()) return null;
        long peek = Uvarint.peek(pending);
        if (peek == Uvarint.NEED_MORE) return null;
        long len = Uvarint.value(peek);
        if (len < 1 || len > MAX_MESSAGE_BYTES) {
            throw P2pException.protocolViolation("multistream message length " + len + " out of range");
        }
        int header = Uvarint.length(peek);
        if (pending.readableBytes() < header + len) return null;
        pending.skipBytes(header);
        int last = pending.readerIndex() + (int) len - 1;
        if (pending.getByte(last) != '\n') throw P2pException.protocolViolation("multistream message without newline");
        String msg = pending.toString(pending.readerIndex(), (int) len - 1, StandardCharsets.UTF_8);
        pending.skipBytes((int) len);
        return msg;
    }

    private static void writeMessage(ByteBuf out, String msg) {
        byte[] b = msg.getBytes(StandardCharsets.UTF_8);
        Uvarint.write(out, b.length + 1L);
        out.writeBytes(b);
        out.writeByte('\n');
    }

    private static void checkId(String id) {
        int n = id.getBytes(StandardCharsets.UTF_8).length;
        if (n == 0 || n >= MAX_MESSAGE_BYTES || id.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("bad protocol id '" + id + "'");
        }
    }

    private static String printable(String s) {
        String t = s.length() > 64 ? s.substring(0, 64) + "..." : s;
        return t.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
