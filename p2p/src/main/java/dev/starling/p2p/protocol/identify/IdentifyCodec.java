package dev.starling.p2p.protocol.identify;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.core.PrivateKey;
import dev.starling.p2p.core.PublicKey;
import dev.starling.p2p.crypto.Keys;
import dev.starling.p2p.crypto.SignedEnvelope;
import dev.starling.p2p.proto.IdentifyProto;
import dev.starling.p2p.proto.RecordProto;
import java.util.ArrayList;
import java.util.List;

/**
 * The identify message and the signed peer record it carries (RFC 0002/0003): bytes to records and back,
 * with caps. Pure; thread-safe.
 */
public final class IdentifyCodec {
    /** Largest identify message we accept. */
    public static final int MAX_MESSAGE_BYTES = 64 * 1024;
    /** Most listen addresses and protocols we keep from one message. */
    public static final int MAX_ENTRIES = 256;
    /** Signed envelope domain of peer records. */
    public static final String PEER_RECORD_DOMAIN = "libp2p-peer-record";
    /** Payload type of peer records (multicodec 0x0301). */
    public static final byte[] PEER_RECORD_TYPE = {0x03, 0x01};

    private IdentifyCodec() {
    }

    /**
     * Builds our identify message.
     *
     * @param key       our identity
     * @param listen    our listen addresses
     * @param protocols protocols we accept
     * @param observed  the remote's address as we see it, or null
     * @param agent     agent version
     * @param seq       peer record sequence number (for example a millisecond timestamp)
     * @return the protobuf bytes (without length prefix)
     */
    public static byte[] encode(PrivateKey key, List<Multiaddr> listen, List<String> protocols, Multiaddr observed,
                                String agent, long seq) {
        IdentifyProto.Identify.Builder b = IdentifyProto.Identify.newBuilder()
                .setProtocolVersion("ipfs/0.1.0")
                .setAgentVersion(agent)
                .setPublicKey(ByteString.copyFrom(key.publicKey().marshal()))
                .addAllProtocols(protocols)
                .setSignedPeerRecord(ByteString.copyFrom(signedPeerRecord(key, listen, seq)));
        for (Multiaddr a : listen) b.addListenAddrs(ByteString.copyFrom(a.toBytes()));
        if (observed != null) b.setObservedAddr(ByteString.copyFrom(observed.toBytes()));
        return b.build().toByteArray();
    }

    /**
     * Parses an identify message from {@code peer}.
     *
     * @param peer  the authenticated sender
     * @param bytes the protobuf bytes
     * @return what it said
     * @throws P2pException PROTOCOL_VIOLATION if malformed, BAD_PEER if its key is not the peer's
     */
    public static IdentifyInfo decode(PeerId peer, byte[] bytes) {
        if (bytes.length > MAX_MESSAGE_BYTES) throw P2pException.protocolViolation("identify message too large");
        IdentifyProto.Identify m;
        try {
            m = IdentifyProto.Identify.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw P2pException.protocolViolation("malformed identify message: " + e.getMessage());
        }
        if (m.getListenAddrsCount() > MAX_ENTRIES || m.getProtocolsCount() > MAX_ENTRIES) {
            throw P2pException.protocolViolation("identify lists more than " + MAX_ENTRIES + " entries");
        }
        PublicKey key = null;
        if (m.hasPublicKey()) {
            key = Keys.unmarshalPublicKey(m.getPublicKey().toByteArray());
            if (!key.toPeerId().equals(peer)) throw P2pException.badPeer("identify key is not " + peer + "'s");
        }
        List<Multiaddr> addrs = new ArrayList<>();
        for (ByteString a : m.getListenAddrsList()) {
            try {
                addrs.add(Multiaddr.fromBytes(a.toByteArray()));
            } catch (P2pException ignored) {
                // an address type we do not know (quic, webrtc...): skip it, keep the rest
            }
        }
        Multiaddr observed = null;
        if (m.hasObservedAddr()) {
            try {
                observed = Multiaddr.fromBytes(m.getObservedAddr().toByteArray());
            } catch (P2pException ignored) {
                // unknown address type
            }
        }
        boolean signed = m.hasSignedPeerRecord() && verifyPeerRecord(peer, m.getSignedPeerRecord().toByteArray());
        return new IdentifyInfo(peer, key, m.getProtocolVersion(), m.getAgentVersion(), addrs,
                m.getProtocolsList(), observed, signed);
    }

    /**
     * Builds a signed envelope holding our peer record.
     *
     * @param key    our identity
     * @param listen our addresses
     * @param seq    sequence number
     * @return the envelope bytes
     */
    public static byte[] signedPeerRecord(PrivateKey key, List<Multiaddr> listen, long seq) {
        RecordProto.PeerRecord.Builder r = RecordProto.PeerRecord.newBuilder()
                .setPeerId(ByteString.copyFrom(key.publicKey().toPeerId().bytes())).setSeq(seq);
        for (Multiaddr a : listen) {
            r.addAddresses(RecordProto.PeerRecord.AddressInfo.newBuilder()
                    .setMultiaddr(ByteString.copyFrom(a.toBytes())));
        }
        return SignedEnvelope.seal(key, PEER_RECORD_DOMAIN, PEER_RECORD_TYPE, r.build().toByteArray());
    }

    /**
     * Checks a signed peer record: signature valid, signed by {@code peer}, record about {@code peer}.
     *
     * @param peer     the expected peer
     * @param envelope the envelope bytes
     * @return true if valid
     */
    public static boolean verifyPeerRecord(PeerId peer, byte[] envelope) {
        try {
            SignedEnvelope e = SignedEnvelope.open(envelope, PEER_RECORD_DOMAIN);
            if (!e.signer().toPeerId().equals(peer)) return false;
            RecordProto.PeerRecord r = RecordProto.PeerRecord.parseFrom(e.payload());
            return new PeerId(r.getPeerId().toByteArray()).equals(peer);
        } catch (InvalidProtocolBufferException | P2pException ex) {
            return false;
        }
    }
}
