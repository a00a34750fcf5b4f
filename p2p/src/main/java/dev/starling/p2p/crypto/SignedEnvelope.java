package dev.starling.p2p.crypto;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PrivateKey;
import dev.starling.p2p.core.PublicKey;
import dev.starling.p2p.multiformats.Uvarint;
import dev.starling.p2p.proto.RecordProto;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Signed envelopes (libp2p RFC 0002): a payload, its type and the signer's public key, signed over
 * {@code uvarint(len(domain)) ‖ domain ‖ uvarint(len(type)) ‖ type ‖ uvarint(len(payload)) ‖ payload}. Used for
 * peer records (domain {@code libp2p-peer-record}) and circuit relay reservation vouchers
 * ({@code libp2p-relay-rsvp}). Pure; thread-safe.
 *
 * @param signer      the signer's public key
 * @param payloadType the multicodec of the payload, as raw bytes (for example {@code 03 01})
 * @param payload     the payload bytes
 */
public record SignedEnvelope(PublicKey signer, byte[] payloadType, byte[] payload) {
    /** Largest envelope {@link #open} accepts. */
    public static final int MAX_ENVELOPE_BYTES = 16 * 1024;

    /**
     * Signs a payload.
     *
     * @param key     the signer
     * @param domain  the signature domain
     * @param type    the payload type
     * @param payload the payload
     * @return the envelope protobuf bytes
     */
    public static byte[] seal(PrivateKey key, String domain, byte[] type, byte[] payload) {
        byte[] sig = key.sign(signingBytes(domain, type, payload));
        return RecordProto.Envelope.newBuilder()
                .setPublicKey(ByteString.copyFrom(key.publicKey().marshal()))
                .setPayloadType(ByteString.copyFrom(type))
                .setPayload(ByteString.copyFrom(payload))
                .setSignature(ByteString.copyFrom(sig)).build().toByteArray();
    }

    /**
     * Parses an envelope and checks its signature under {@code domain}.
     *
     * @param envelope the envelope bytes
     * @param domain   the domain the signature must be made in
     * @return the verified content
     * @throws P2pException PROTOCOL_VIOLATION if malformed or too large, BAD_PEER if the signature is invalid
     */
    public static SignedEnvelope open(byte[] envelope, String domain) {
        if (envelope.length > MAX_ENVELOPE_BYTES) {
            throw P2pException.protocolViolation("signed envelope of " + envelope.length + " bytes > "
                    + MAX_ENVELOPE_BYTES);
        }
        RecordProto.Envelope e;
        try {
            e = RecordProto.Envelope.parseFrom(envelope);
        } catch (InvalidProtocolBufferException ex) {
            throw P2pException.protocolViolation("malformed signed envelope: " + ex.getMessage());
        }
        PublicKey key = Keys.unmarshalPublicKey(e.getPublicKey().toByteArray());
        byte[] type = e.getPayloadType().toByteArray();
        byte[] payload = e.getPayload().toByteArray();
        if (!key.verify(signingBytes(domain, type, payload), e.getSignature().toByteArray())) {
            throw P2pException.badPeer("signed envelope has a bad signature for domain " + domain);
        }
        return new SignedEnvelope(key, type, payload);
    }

    private static byte[] signingBytes(String domain, byte[] type, byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] d = domain.getBytes(StandardCharsets.UTF_8);
        Uvarint.write(out, d.length);
        out.writeBytes(d);
        Uvarint.write(out, type.length);
        out.writeBytes(type);
        Uvarint.write(out, payload.length);
        out.writeBytes(payload);
        return out.toByteArray();
    }
}
