package dev.starling.p2p.relay;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import dev.starling.p2p.codec.ProtobufWriter;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.core.PrivateKey;
import dev.starling.p2p.crypto.SignedEnvelope;
import java.io.IOException;
import java.util.Arrays;

/**
 * A reservation voucher (circuit-v2.md "Reservation Vouchers"): the relay's signed statement that it serves
 * {@code peer} until {@code expiration}, as a signed envelope with domain {@value #DOMAIN} and payload type
 * {@code 03 02}. Advisory in libp2p today; we issue them and can check them. Pure; any thread.
 *
 * @param relay             the relay's peer id (the signer)
 * @param peer              the reserving peer
 * @param expirationSeconds UTC UNIX seconds
 */
public record ReservationVoucher(PeerId relay, PeerId peer, long expirationSeconds) {
    /** Signature domain. */
    public static final String DOMAIN = "libp2p-relay-rsvp";
    /** Payload type (multicodec 0x0302 as two raw bytes, as go- and js-libp2p write it). */
    private static final byte[] PAYLOAD_TYPE = {0x03, 0x02};

    /**
     * Signs a voucher with the relay's key.
     *
     * @param relayKey          the relay's identity
     * @param peer              the reserving peer
     * @param expirationSeconds UTC UNIX seconds
     * @return the envelope bytes
     */
    public static byte[] sign(PrivateKey relayKey, PeerId peer, long expirationSeconds) {
        byte[] payload = ProtobufWriter.write(o -> {
            o.writeByteArray(1, relayKey.publicKey().toPeerId().bytes());
            o.writeByteArray(2, peer.bytes());
            o.writeUInt64(3, expirationSeconds);
        });
        return SignedEnvelope.seal(relayKey, DOMAIN, PAYLOAD_TYPE, payload);
    }

    /**
     * Opens and checks a voucher: valid signature, right payload type, signed by the relay it names.
     *
     * @param envelope the envelope bytes
     * @return the voucher
     * @throws P2pException PROTOCOL_VIOLATION if malformed, BAD_PEER if the signature or signer is wrong
     */
    public static ReservationVoucher open(byte[] envelope) {
        SignedEnvelope e = SignedEnvelope.open(envelope, DOMAIN);
        if (!Arrays.equals(e.payloadType(), PAYLOAD_TYPE)) {
            throw P2pException.protocolViolation("voucher payload type is not 0302");
        }
        byte[] relay = null;
        byte[] peer = null;
        long expiration = -1;
        CodedInputStream in = CodedInputStream.newInstance(e.payload());
        try {
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                int field = WireFormat.getTagFieldNumber(tag);
                int wire = WireFormat.getTagWireType(tag);
                if (field == 1 && wire == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    relay = in.readByteArray();
                } else if (field == 2 && wire == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    peer = in.readByteArray();
                } else if (field == 3 && wire == WireFormat.WIRETYPE_VARINT) {
                    expiration = in.readUInt64();
                } else {
                    in.skipField(tag);
                }
            }
        } catch (IOException ex) {
            throw P2pException.protocolViolation("malformed voucher: " + ex.getMessage());
        }
        if (relay == null || peer == null || expiration < 0) {
            throw P2pException.protocolViolation("voucher lacks relay, peer or expiration");
        }
        ReservationVoucher v = new ReservationVoucher(new PeerId(relay), new PeerId(peer), expiration);
        if (!e.signer().toPeerId().equals(v.relay())) throw P2pException.badPeer("voucher not signed by its relay");
        return v;
    }
}
