package dev.starling.p2p.kad;

import com.google.protobuf.CodedInputStream;
import dev.starling.p2p.codec.ProtobufWriter;
import com.google.protobuf.WireFormat;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Bytes ⇄ {@link DhtMessage} for the kad-dht {@code Message} protobuf. Decoding walks the wire format and checks each
 * cap before allocating what it guards; unknown fields are skipped. Encoding writes proto3 fields in field order,
 * omitting defaults.
 *
 * <p>Stateless apart from its limits; any thread. Decoding throws {@link DhtWireException} and nothing else.
 */
public final class DhtCodec {
    /**
     * Caps on one received message.
     *
     * @param maxMessageSize  largest message in bytes
     * @param maxKeyLength    longest key
     * @param maxPeers        most closer plus provider peers
     * @param maxAddrsPerPeer most addresses per peer
     * @param maxAddrLength   longest address
     */
    public record Limits(int maxMessageSize, int maxKeyLength, int maxPeers, int maxAddrsPerPeer, int maxAddrLength) {
        /** Checks positivity. */
        public Limits {
            if (maxMessageSize <= 0 || maxKeyLength <= 0 || maxPeers <= 0 || maxAddrsPerPeer <= 0
                    || maxAddrLength <= 0) {
                throw new IllegalArgumentException("DHT limits must be positive");
            }
        }

        /**
         * Defaults: 1 MiB messages, 1 KiB keys, 200 peers, 32 addresses of at most 1 KiB each.
         *
         * @return the defaults
         */
        public static Limits defaults() {
            return new Limits(1 << 20, 1024, 200, 32, 1024);
        }
    }

    private final Limits limits;

    /**
     * Creates a codec.
     *
     * @param limits caps on received messages
     */
    public DhtCodec(Limits limits) {
        this.limits = limits;
    }

    /**
     * Decodes one message.
     *
     * @param bytes protobuf bytes without the length prefix
     * @return the message
     * @throws DhtWireException on malformed input or a broken cap
     */
    public DhtMessage decode(byte[] bytes) {
        if (bytes.length > limits.maxMessageSize()) {
            throw new DhtWireException(DhtWireException.Reason.MESSAGE_TOO_LARGE,
                    bytes.length + " bytes > " + limits.maxMessageSize());
        }
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        DhtMessage.Type type = DhtMessage.Type.PUT_VALUE;
        byte[] key = null;
        DhtMessage.Record record = null;
        List<DhtMessage.Peer> closer = new ArrayList<>();
        List<DhtMessage.Peer> providers = new ArrayList<>();
        try {
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case 1 -> {
                        wireType(tag, WireFormat.WIRETYPE_VARINT);
                        int t = in.readEnum();
                        type = DhtMessage.Type.fromWire(t);
                        if (type == null) {
                            throw malformed("unknown message type " + t);
                        }
                    }
                    case 2 -> key = bytes(in, tag, limits.maxKeyLength(), "key");
                    case 3 -> {
                        int old = enter(in, tag);
                        record = readRecord(in);
                        in.popLimit(old);
                    }
                    case 8, 9 -> {
                        if (closer.size() + providers.size() >= limits.maxPeers()) {
                            throw new DhtWireException(DhtWireException.Reason.TOO_MANY_ENTRIES,
                                    "more than " + limits.maxPeers() + " peers");
                        }
                        int old = enter(in, tag);
                        (WireFormat.getTagFieldNumber(tag) == 8 ? closer : providers).add(readPeer(in));
                        in.popLimit(old);
                    }
                    default -> in.skipField(tag);
                }
            }
        } catch (IOException e) {
            throw malformed(String.valueOf(e.getMessage()));
        }
        return new DhtMessage(type, key, record, closer, providers);
    }

    private static DhtWireException malformed(String message) {
        return new DhtWireException(DhtWireException.Reason.MALFORMED, message);
    }

    private static void wireType(int tag, int expected) {
        if (WireFormat.getTagWireType(tag) != expected) {
            throw malformed("field " + WireFormat.getTagFieldNumber(tag) + " has wire type "
                    + WireFormat.getTagWireType(tag));
        }
    }

    private static int enter(CodedInputStream in, int tag) throws IOException {
        wireType(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        return in.pushLimit(in.readRawVarint32());
    }

    private static byte[] bytes(CodedInputStream in, int tag, int cap, String what) throws IOException {
        wireType(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        int length = in.readRawVarint32();
        if (length < 0 || length > cap) {
            throw new DhtWireException(DhtWireException.Reason.FIELD_TOO_LARGE,
                    what + " of " + length + " bytes > " + cap);
        }
        return in.readRawBytes(length);
    }

    private DhtMessage.Record readRecord(CodedInputStream in) throws IOException {
        byte[] key = new byte[0];
        byte[] value = new byte[0];
        String time = "";
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> key = bytes(in, tag, limits.maxKeyLength(), "record key");
                case 2 -> value = bytes(in, tag, limits.maxMessageSize(), "record value");
                case 5 -> time = new String(bytes(in, tag, 64, "timeReceived"), StandardCharsets.UTF_8);
                default -> in.skipField(tag);
            }
        }
        return new DhtMessage.Record(key, value, time);
    }

    private DhtMessage.Peer readPeer(CodedInputStream in) throws IOException {
        byte[] id = null;
        List<byte[]> addrs = new ArrayList<>();
        int connection = 0;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> id = bytes(in, tag, PeerId.MAX_BYTES, "peer id");
                case 2 -> {
                    if (addrs.size() >= limits.maxAddrsPerPeer()) {
                        throw new DhtWireException(DhtWireException.Reason.TOO_MANY_ENTRIES,
                                "more than " + limits.maxAddrsPerPeer() + " addresses");
                    }
                    addrs.add(bytes(in, tag, limits.maxAddrLength(), "address"));
                }
                case 3 -> {
                    wireType(tag, WireFormat.WIRETYPE_VARINT);
                    connection = in.readEnum();
                }
                default -> in.skipField(tag);
            }
        }
        if (id == null) {
            throw malformed("peer without id");
        }
        try {
            return new DhtMessage.Peer(new PeerId(id), addrs, connection);
        } catch (P2pException e) {
            throw malformed("bad peer id: " + e.getMessage());
        }
    }

    /**
     * Encodes a message.
     *
     * @param m the message
     * @return protobuf bytes without a length prefix
     */
    public static byte[] encode(DhtMessage m) {
        return write(out -> {
            if (m.type().wire() != 0) {
                out.writeEnum(1, m.type().wire());
            }
            if (m.key().length > 0) {
                out.writeByteArray(2, m.key());
            }
            if (m.record() != null) {
                DhtMessage.Record r = m.record();
                out.writeByteArray(3, write(o -> {
                    if (r.key().length > 0) {
                        o.writeByteArray(1, r.key());
                    }
                    if (r.value().length > 0) {
                        o.writeByteArray(2, r.value());
                    }
                    if (!r.timeReceived().isEmpty()) {
                        o.writeString(5, r.timeReceived());
                    }
                }));
            }
            for (DhtMessage.Peer p : m.closerPeers()) {
                out.writeByteArray(8, encodePeer(p));
            }
            for (DhtMessage.Peer p : m.providerPeers()) {
                out.writeByteArray(9, encodePeer(p));
            }
        });
    }

    private static byte[] encodePeer(DhtMessage.Peer p) {
        return write(o -> {
            o.writeByteArray(1, p.id().bytes());
            for (byte[] a : p.addrs()) {
                o.writeByteArray(2, a);
            }
            if (p.connection() != 0) {
                o.writeEnum(3, p.connection());
            }
        });
    }

    private static byte[] write(ProtobufWriter.Fields fields) {
        return ProtobufWriter.write(fields);
    }
}
