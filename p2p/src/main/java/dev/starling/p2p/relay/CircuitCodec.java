package dev.starling.p2p.relay;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import dev.starling.p2p.codec.ProtobufWriter;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.relay.CircuitMessages.Hop;
import dev.starling.p2p.relay.CircuitMessages.HopType;
import dev.starling.p2p.relay.CircuitMessages.Limit;
import dev.starling.p2p.relay.CircuitMessages.Peer;
import dev.starling.p2p.relay.CircuitMessages.Reservation;
import dev.starling.p2p.relay.CircuitMessages.Status;
import dev.starling.p2p.relay.CircuitMessages.Stop;
import dev.starling.p2p.relay.CircuitMessages.StopType;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Bytes ⇄ {@link CircuitMessages} for the proto2 {@code HopMessage} and {@code StopMessage}. Decoding walks the wire
 * format and checks every cap before allocating what it guards; unknown fields are skipped; a missing required
 * field, an unknown type or status, a bad peer id or a wrong wire type is malformed. Encoding writes fields in
 * field order (byte-identical to protoc). Stateless; any thread. Decoding throws {@link RelayWireException} only.
 */
public final class CircuitCodec {
    /** Largest hop or stop message (as go-libp2p). */
    public static final int MAX_MESSAGE_BYTES = 4096;
    /** Most addresses in one peer or reservation. */
    public static final int MAX_ADDRS = 32;

    private CircuitCodec() {
    }

    /**
     * Decodes a hop message.
     *
     * @param bytes protobuf bytes without length prefix
     * @return the message
     * @throws RelayWireException if malformed or over a cap
     */
    public static Hop decodeHop(byte[] bytes) {
        CodedInputStream in = open(bytes);
        HopType type = null;
        Peer peer = null;
        Reservation reservation = null;
        Limit limit = null;
        Status status = null;
        try {
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case 1 -> {
                        int t = varint(in, tag);
                        if (t < 0 || t >= HopType.values().length) throw malformed("unknown hop type " + t);
                        type = HopType.values()[t];
                    }
                    case 2 -> peer = nested(in, tag, CircuitCodec::readPeer);
                    case 3 -> reservation = nested(in, tag, CircuitCodec::readReservation);
                    case 4 -> limit = nested(in, tag, CircuitCodec::readLimit);
                    case 5 -> status = status(varint(in, tag));
                    default -> in.skipField(tag);
                }
            }
        } catch (IOException | RuntimeException e) {
            throw wrap(e);
        }
        if (type == null) throw malformed("hop message without type");
        return new Hop(type, peer, reservation, limit, status);
    }

    /**
     * Decodes a stop message.
     *
     * @param bytes protobuf bytes without length prefix
     * @return the message
     * @throws RelayWireException if malformed or over a cap
     */
    public static Stop decodeStop(byte[] bytes) {
        CodedInputStream in = open(bytes);
        StopType type = null;
        Peer peer = null;
        Limit limit = null;
        Status status = null;
        try {
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case 1 -> {
                        int t = varint(in, tag);
                        if (t < 0 || t >= StopType.values().length) throw malformed("unknown stop type " + t);
                        type = StopType.values()[t];
                    }
                    case 2 -> peer = nested(in, tag, CircuitCodec::readPeer);
                    case 3 -> limit = nested(in, tag, CircuitCodec::readLimit);
                    case 4 -> status = status(varint(in, tag));
                    default -> in.skipField(tag);
                }
            }
        } catch (IOException | RuntimeException e) {
            throw wrap(e);
        }
        if (type == null) throw malformed("stop message without type");
        return new Stop(type, peer, limit, status);
    }

    /**
     * Encodes a hop message.
     *
     * @param m the message
     * @return protobuf bytes without length prefix
     */
    public static byte[] encode(Hop m) {
        return ProtobufWriter.write(out -> {
            out.writeEnum(1, m.type().ordinal());
            if (m.peer() != null) out.writeByteArray(2, encodePeer(m.peer()));
            if (m.reservation() != null) out.writeByteArray(3, encodeReservation(m.reservation()));
            if (m.limit() != null) out.writeByteArray(4, encodeLimit(m.limit()));
            if (m.status() != null) out.writeEnum(5, m.status().wire());
        });
    }

    /**
     * Encodes a stop message.
     *
     * @param m the message
     * @return protobuf bytes without length prefix
     */
    public static byte[] encode(Stop m) {
        return ProtobufWriter.write(out -> {
            out.writeEnum(1, m.type().ordinal());
            if (m.peer() != null) out.writeByteArray(2, encodePeer(m.peer()));
            if (m.limit() != null) out.writeByteArray(3, encodeLimit(m.limit()));
            if (m.status() != null) out.writeEnum(4, m.status().wire());
        });
    }

    private static byte[] encodePeer(Peer p) {
        return ProtobufWriter.write(o -> {
            o.writeByteArray(1, p.id().bytes());
            for (byte[] a : p.addrs()) o.writeByteArray(2, a);
        });
    }

    private static byte[] encodeReservation(Reservation r) {
        return ProtobufWriter.write(o -> {
            o.writeUInt64(1, r.expireUnixSeconds());
            for (byte[] a : r.addrs()) o.writeByteArray(2, a);
            if (r.voucher() != null) o.writeByteArray(3, r.voucher());
        });
    }

    private static byte[] encodeLimit(Limit l) {
        return ProtobufWriter.write(o -> writeLimit(o, l));
    }

    private static void writeLimit(CodedOutputStream o, Limit l) throws IOException {
        if (l.durationSeconds() != 0) o.writeUInt32(1, (int) l.durationSeconds());
        if (l.dataBytes() != 0) o.writeUInt64(2, l.dataBytes());
    }

    // ---- decoding helpers ----

    private interface Reader<T> {
        T read(CodedInputStream in) throws IOException;
    }

    private static CodedInputStream open(byte[] bytes) {
        if (bytes.length > MAX_MESSAGE_BYTES) {
            throw malformed(bytes.length + " bytes > cap " + MAX_MESSAGE_BYTES);
        }
        return CodedInputStream.newInstance(bytes);
    }

    private static <T> T nested(CodedInputStream in, int tag, Reader<T> reader) throws IOException {
        wireType(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        int old = in.pushLimit(in.readRawVarint32()); // throws if it runs past the enclosing message
        T value = reader.read(in);
        in.popLimit(old);
        return value;
    }

    private static int varint(CodedInputStream in, int tag) throws IOException {
        wireType(tag, WireFormat.WIRETYPE_VARINT);
        return in.readEnum();
    }

    private static Status status(int wire) {
        Status s = Status.fromWire(wire);
        if (s == null) throw malformed("unknown status " + wire);
        return s;
    }

    private static byte[] bytes(CodedInputStream in, int tag, int cap, String what) throws IOException {
        wireType(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        int length = in.readRawVarint32();
        if (length < 0 || length > cap) throw malformed(what + " of " + length + " bytes > cap " + cap);
        return in.readRawBytes(length);
    }

    private static Peer readPeer(CodedInputStream in) throws IOException {
        PeerId id = null;
        List<byte[]> addrs = new ArrayList<>();
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> id = peerId(bytes(in, tag, PeerId.MAX_BYTES, "peer id"));
                case 2 -> addAddr(addrs, bytes(in, tag, Multiaddr.MAX_BYTES, "address"));
                default -> in.skipField(tag);
            }
        }
        if (id == null) throw malformed("peer without id");
        return new Peer(id, addrs);
    }

    private static Reservation readReservation(CodedInputStream in) throws IOException {
        long expire = 0;
        List<byte[]> addrs = new ArrayList<>();
        byte[] voucher = null;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> {
                    wireType(tag, WireFormat.WIRETYPE_VARINT);
                    expire = in.readUInt64();
                }
                case 2 -> addAddr(addrs, bytes(in, tag, Multiaddr.MAX_BYTES, "address"));
                case 3 -> voucher = bytes(in, tag, MAX_MESSAGE_BYTES, "voucher");
                default -> in.skipField(tag);
            }
        }
        return new Reservation(expire, addrs, voucher);
    }

    private static Limit readLimit(CodedInputStream in) throws IOException {
        long duration = 0;
        long data = 0;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> {
                    wireType(tag, WireFormat.WIRETYPE_VARINT);
                    duration = Integer.toUnsignedLong(in.readUInt32());
                }
                case 2 -> {
                    wireType(tag, WireFormat.WIRETYPE_VARINT);
                    data = in.readUInt64();
                    if (data < 0) data = Long.MAX_VALUE; // a uint64 beyond 2^63: as good as no limit
                }
                default -> in.skipField(tag);
            }
        }
        return new Limit(duration, data);
    }

    private static void addAddr(List<byte[]> addrs, byte[] addr) {
        if (addrs.size() >= MAX_ADDRS) throw malformed("more than " + MAX_ADDRS + " addresses");
        addrs.add(addr);
    }

    private static PeerId peerId(byte[] bytes) {
        try {
            return new PeerId(bytes);
        } catch (P2pException | IllegalArgumentException e) {
            throw malformed("bad peer id: " + e.getMessage());
        }
    }

    private static void wireType(int tag, int expected) {
        if (WireFormat.getTagWireType(tag) != expected) {
            throw malformed("field " + WireFormat.getTagFieldNumber(tag) + " has wire type "
                    + WireFormat.getTagWireType(tag));
        }
    }

    private static RelayWireException wrap(Exception e) {
        if (e instanceof RelayWireException r) return r;
        return malformed(String.valueOf(e.getMessage()));
    }

    private static RelayWireException malformed(String message) {
        return new RelayWireException(message);
    }
}
