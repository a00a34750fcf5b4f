package dev.starling.p2p.pubsub;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import dev.starling.p2p.codec.ProtobufWriter;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Bytes ⇄ {@link Rpc} for the pubsub {@code RPC} protobuf (schema: {@code src/main/proto/gossipsub.proto}). Decoding
 * walks the wire format field by field so that every cap in {@link RpcLimits} is checked before the item it guards is
 * allocated; unknown fields are skipped. Encoding writes fields in field-number order.
 *
 * <p>Stateless apart from its limits; any thread. Decoding throws {@link PubsubWireException} and nothing else.
 */
public final class GossipsubCodec {
    private final RpcLimits limits;

    /**
     * Creates a codec.
     *
     * @param limits caps on received RPCs
     */
    public GossipsubCodec(RpcLimits limits) {
        this.limits = limits;
    }

    /** Running totals of one RPC's decode, compared against the caps. */
    private static final class Counts {
        private int subscriptions;
        private int messages;
        private int controls;
        private int ids;
        private int peerInfos;
    }

    /**
     * Decodes one RPC.
     *
     * @param bytes the protobuf bytes (the frame without its length prefix)
     * @return the RPC
     * @throws PubsubWireException when the bytes are malformed or break a cap
     */
    public Rpc decode(byte[] bytes) {
        if (bytes.length > limits.maxRpcSize()) {
            throw new PubsubWireException(PubsubWireException.Reason.RPC_TOO_LARGE,
                    bytes.length + " bytes > " + limits.maxRpcSize());
        }
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        Counts counts = new Counts();
        List<Rpc.SubOpts> subs = new ArrayList<>();
        List<PubsubMessage> messages = new ArrayList<>();
        Rpc.Control control = Rpc.Control.EMPTY;
        try {
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case 1 -> {
                        count(++counts.subscriptions, limits.maxSubscriptions(), "subscriptions");
                        int old = enter(in, tag);
                        subs.add(readSubOpts(in));
                        in.popLimit(old);
                    }
                    case 2 -> {
                        count(++counts.messages, limits.maxMessages(), "messages");
                        int old = enter(in, tag);
                        messages.add(readMessage(in));
                        in.popLimit(old);
                    }
                    case 3 -> {
                        int old = enter(in, tag);
                        control = merge(control, readControl(in, counts));
                        in.popLimit(old);
                    }
                    default -> in.skipField(tag);
                }
            }
        } catch (IOException e) {
            throw new PubsubWireException(PubsubWireException.Reason.MALFORMED, String.valueOf(e.getMessage()));
        }
        return new Rpc(subs, messages, control);
    }

    private static int enter(CodedInputStream in, int tag) throws IOException {
        requireWireType(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        int length = in.readRawVarint32();
        if (length < 0 || length > in.getBytesUntilLimit() && in.getBytesUntilLimit() >= 0) {
            throw new PubsubWireException(PubsubWireException.Reason.MALFORMED, "nested length " + length);
        }
        return in.pushLimit(length);
    }

    private static void requireWireType(int tag, int wireType) {
        if (WireFormat.getTagWireType(tag) != wireType) {
            throw new PubsubWireException(PubsubWireException.Reason.MALFORMED,
                    "field " + WireFormat.getTagFieldNumber(tag) + " has wire type " + WireFormat.getTagWireType(tag));
        }
    }

    private static void count(int value, int cap, String what) {
        if (value > cap) {
            throw new PubsubWireException(PubsubWireException.Reason.TOO_MANY_ENTRIES, "more than " + cap + " " + what);
        }
    }

    private String readTopic(CodedInputStream in, int tag) throws IOException {
        byte[] b = readBytes(in, tag, limits.maxTopicLength(), "topic");
        return new String(b, StandardCharsets.UTF_8);
    }

    private static byte[] readBytes(CodedInputStream in, int tag, int cap, String what) throws IOException {
        requireWireType(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        int length = in.readRawVarint32();
        if (length < 0 || length > cap) {
            throw new PubsubWireException(PubsubWireException.Reason.FIELD_TOO_LARGE,
                    what + " of " + length + " bytes > " + cap);
        }
        return in.readRawBytes(length);
    }

    private Rpc.SubOpts readSubOpts(CodedInputStream in) throws IOException {
        boolean subscribe = false;
        String topic = null;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> {
                    requireWireType(tag, WireFormat.WIRETYPE_VARINT);
                    subscribe = in.readBool();
                }
                case 2 -> topic = readTopic(in, tag);
                default -> in.skipField(tag);
            }
        }
        if (topic == null) {
            throw new PubsubWireException(PubsubWireException.Reason.MALFORMED, "SubOpts without topic");
        }
        return new Rpc.SubOpts(subscribe, topic);
    }

    private PubsubMessage readMessage(CodedInputStream in) throws IOException {
        byte[] from = null;
        byte[] data = null;
        byte[] seqno = null;
        String topic = null;
        byte[] signature = null;
        byte[] key = null;
        int cap = limits.maxRpcSize();
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> from = readBytes(in, tag, 256, "from");
                case 2 -> data = readBytes(in, tag, cap, "data");
                case 3 -> seqno = readBytes(in, tag, 64, "seqno");
                case 4 -> topic = readTopic(in, tag);
                case 5 -> signature = readBytes(in, tag, 1024, "signature");
                case 6 -> key = readBytes(in, tag, 1024, "key");
                default -> in.skipField(tag);
            }
        }
        if (topic == null) {
            throw new PubsubWireException(PubsubWireException.Reason.MALFORMED, "Message without topic");
        }
        return new PubsubMessage(from, data, seqno, topic, signature, key);
    }

    private Rpc.Control readControl(CodedInputStream in, Counts counts) throws IOException {
        List<Rpc.IHave> ihave = new ArrayList<>();
        List<Rpc.IWant> iwant = new ArrayList<>();
        List<Rpc.Graft> graft = new ArrayList<>();
        List<Rpc.Prune> prune = new ArrayList<>();
        List<Rpc.IDontWant> idontwant = new ArrayList<>();
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            int field = WireFormat.getTagFieldNumber(tag);
            if (field < 1 || field > 5) {
                in.skipField(tag);
                continue;
            }
            count(++counts.controls, limits.maxControlEntries(), "control entries");
            int old = enter(in, tag);
            switch (field) {
                case 1 -> ihave.add(readIHave(in, counts));
                case 2 -> iwant.add(new Rpc.IWant(readIds(in, 1, counts)));
                case 3 -> graft.add(new Rpc.Graft(readTopicOnly(in)));
                case 4 -> prune.add(readPrune(in, counts));
                default -> idontwant.add(new Rpc.IDontWant(readIds(in, 1, counts)));
            }
            in.popLimit(old);
        }
        return new Rpc.Control(ihave, iwant, graft, prune, idontwant);
    }

    private Rpc.IHave readIHave(CodedInputStream in, Counts counts) throws IOException {
        String topic = "";
        List<MessageId> ids = new ArrayList<>();
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> topic = readTopic(in, tag);
                case 2 -> ids.add(readId(in, tag, counts));
                default -> in.skipField(tag);
            }
        }
        return new Rpc.IHave(topic, ids);
    }

    private List<MessageId> readIds(CodedInputStream in, int field, Counts counts) throws IOException {
        List<MessageId> ids = new ArrayList<>();
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (WireFormat.getTagFieldNumber(tag) == field) {
                ids.add(readId(in, tag, counts));
            } else {
                in.skipField(tag);
            }
        }
        return ids;
    }

    private MessageId readId(CodedInputStream in, int tag, Counts counts) throws IOException {
        count(++counts.ids, limits.maxMessageIds(), "message ids");
        return new MessageId(readBytes(in, tag, limits.maxMessageIdLength(), "message id"));
    }

    private String readTopicOnly(CodedInputStream in) throws IOException {
        String topic = "";
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (WireFormat.getTagFieldNumber(tag) == 1) {
                topic = readTopic(in, tag);
            } else {
                in.skipField(tag);
            }
        }
        return topic;
    }

    private Rpc.Prune readPrune(CodedInputStream in, Counts counts) throws IOException {
        String topic = "";
        List<Rpc.PeerInfo> peers = new ArrayList<>();
        long backoff = 0;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> topic = readTopic(in, tag);
                case 2 -> {
                    count(++counts.peerInfos, limits.maxPeerInfos(), "peer exchange entries");
                    int old = enter(in, tag);
                    peers.add(readPeerInfo(in));
                    in.popLimit(old);
                }
                case 3 -> {
                    requireWireType(tag, WireFormat.WIRETYPE_VARINT);
                    backoff = in.readUInt64();
                }
                default -> in.skipField(tag);
            }
        }
        return new Rpc.Prune(topic, peers, backoff < 0 ? Long.MAX_VALUE : backoff);
    }

    private static Rpc.PeerInfo readPeerInfo(CodedInputStream in) throws IOException {
        byte[] id = new byte[0];
        byte[] record = new byte[0];
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> id = readBytes(in, tag, 256, "peer id");
                case 2 -> record = readBytes(in, tag, 8192, "signed peer record");
                default -> in.skipField(tag);
            }
        }
        return new Rpc.PeerInfo(id, record);
    }

    private static Rpc.Control merge(Rpc.Control a, Rpc.Control b) {
        if (a.isEmpty()) {
            return b;
        }
        return new Rpc.Control(concat(a.ihave(), b.ihave()), concat(a.iwant(), b.iwant()),
                concat(a.graft(), b.graft()), concat(a.prune(), b.prune()), concat(a.idontwant(), b.idontwant()));
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    /**
     * Encodes an RPC.
     *
     * @param rpc the RPC
     * @return protobuf bytes (without a length prefix)
     */
    public static byte[] encode(Rpc rpc) {
        return write(out -> {
            for (Rpc.SubOpts s : rpc.subscriptions()) {
                out.writeByteArray(1, write(o -> {
                    o.writeBool(1, s.subscribe());
                    o.writeString(2, s.topic());
                }));
            }
            for (PubsubMessage m : rpc.messages()) {
                out.writeByteArray(2, encodeMessage(m));
            }
            if (!rpc.control().isEmpty()) {
                out.writeByteArray(3, encodeControl(rpc.control()));
            }
        });
    }

    static byte[] encodeMessage(PubsubMessage m) {
        return write(o -> {
            writeIfPresent(o, 1, m.from());
            writeIfPresent(o, 2, m.data());
            writeIfPresent(o, 3, m.seqno());
            o.writeString(4, m.topic());
            writeIfPresent(o, 5, m.signature());
            writeIfPresent(o, 6, m.key());
        });
    }

    private static byte[] encodeControl(Rpc.Control c) {
        return write(o -> {
            for (Rpc.IHave h : c.ihave()) {
                o.writeByteArray(1, write(x -> {
                    x.writeString(1, h.topic());
                    writeIds(x, 2, h.messageIds());
                }));
            }
            for (Rpc.IWant w : c.iwant()) {
                o.writeByteArray(2, write(x -> writeIds(x, 1, w.messageIds())));
            }
            for (Rpc.Graft g : c.graft()) {
                o.writeByteArray(3, write(x -> x.writeString(1, g.topic())));
            }
            for (Rpc.Prune p : c.prune()) {
                o.writeByteArray(4, write(x -> {
                    x.writeString(1, p.topic());
                    for (Rpc.PeerInfo info : p.peers()) {
                        x.writeByteArray(2, write(y -> {
                            writeIfPresent(y, 1, info.peerId());
                            writeIfPresent(y, 2, info.signedPeerRecord());
                        }));
                    }
                    if (p.backoffSeconds() > 0) {
                        x.writeUInt64(3, p.backoffSeconds());
                    }
                }));
            }
            for (Rpc.IDontWant d : c.idontwant()) {
                o.writeByteArray(5, write(x -> writeIds(x, 1, d.messageIds())));
            }
        });
    }

    private static void writeIds(CodedOutputStream out, int field, List<MessageId> ids) throws IOException {
        for (MessageId id : ids) {
            out.writeByteArray(field, id.bytes());
        }
    }

    private static void writeIfPresent(CodedOutputStream out, int field, byte[] value) throws IOException {
        if (value.length > 0) {
            out.writeByteArray(field, value);
        }
    }

    /**
     * Splits an RPC whose encoding would exceed {@code maxSize} into several, messages spread greedily; subscriptions
     * and control go in the first. A single message too large to fit is dropped (the router caps payloads).
     *
     * @param rpc     the RPC
     * @param maxSize the most bytes per encoded RPC
     * @return encoded RPCs, each at most {@code maxSize} bytes unless control alone is larger
     */
    public static List<byte[]> encodeSplit(Rpc rpc, int maxSize) {
        byte[] whole = encode(rpc);
        if (whole.length <= maxSize) {
            return List.of(whole);
        }
        List<byte[]> out = new ArrayList<>();
        Rpc head = new Rpc(rpc.subscriptions(), List.of(), rpc.control());
        if (!head.isEmpty()) {
            out.add(encode(head));
        }
        List<PubsubMessage> batch = new ArrayList<>();
        int size = 0;
        for (PubsubMessage m : rpc.messages()) {
            int len = encodeMessage(m).length + 6;
            if (len > maxSize) {
                continue;
            }
            if (size + len > maxSize && !batch.isEmpty()) {
                out.add(encode(new Rpc(List.of(), batch, Rpc.Control.EMPTY)));
                batch = new ArrayList<>();
                size = 0;
            }
            batch.add(m);
            size += len;
        }
        if (!batch.isEmpty()) {
            out.add(encode(new Rpc(List.of(), batch, Rpc.Control.EMPTY)));
        }
        return out;
    }

    private static byte[] write(ProtobufWriter.Fields fields) {
        return ProtobufWriter.write(fields);
    }
}
