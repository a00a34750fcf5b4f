package dev.starling.p2p.pubsub;

import java.util.Arrays;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * Ed25519 signing and verification of pubsub messages. An Ed25519 peer id is the identity multihash of the
 * {@code PublicKey} protobuf: {@code 00 24 08 01 12 20 <32-byte key>}, so the key is read back out of {@code from}
 * and the {@code key} field stays empty.
 *
 * <p>Immutable after construction; {@link #verifier()} is stateless and thread-safe.
 */
public final class Ed25519PubsubSigning implements MessageSigner {
    private static final byte[] ED25519_ID_PREFIX = {0x00, 0x24, 0x08, 0x01, 0x12, 0x20};
    private final Ed25519PrivateKeyParameters privateKey;
    private final byte[] peerId;

    /**
     * Builds the signer from a 32-byte seed.
     *
     * @param seed the private key seed (32 bytes)
     */
    public Ed25519PubsubSigning(byte[] seed) {
        if (seed.length != 32) {
            throw new IllegalArgumentException("Ed25519 seed must be 32 bytes, got " + seed.length);
        }
        this.privateKey = new Ed25519PrivateKeyParameters(seed, 0);
        this.peerId = peerIdOf(privateKey.generatePublicKey().getEncoded());
    }

    /**
     * Returns the peer id bytes of an Ed25519 public key.
     *
     * @param publicKey the 32-byte key
     * @return {@code 00 24 08 01 12 20 ‖ key}
     */
    public static byte[] peerIdOf(byte[] publicKey) {
        byte[] id = Arrays.copyOf(ED25519_ID_PREFIX, ED25519_ID_PREFIX.length + publicKey.length);
        System.arraycopy(publicKey, 0, id, ED25519_ID_PREFIX.length, publicKey.length);
        return id;
    }

    @Override
    public byte[] localPeerId() {
        return peerId.clone();
    }

    @Override
    public byte[] keyField() {
        return new byte[0];
    }

    @Override
    public byte[] sign(byte[] payload) {
        Ed25519Signer signer = new Ed25519Signer();
        signer.init(true, privateKey);
        signer.update(payload, 0, payload.length);
        return signer.generateSignature();
    }

    /**
     * Returns a verifier for Ed25519 authors whose key is inlined in the peer id. Other key types are refused
     * (returns false) until the p2p key helpers are wired in.
     *
     * @return the verifier
     */
    public static SignatureVerifier verifier() {
        return (from, key, payload, signature) -> {
            if (from.length != ED25519_ID_PREFIX.length + 32 || signature.length != 64
                    || !Arrays.equals(from, 0, ED25519_ID_PREFIX.length, ED25519_ID_PREFIX, 0,
                    ED25519_ID_PREFIX.length)) {
                return false;
            }
            if (key.length != 0 && !Arrays.equals(key, 0, key.length, from, 2, from.length)) {
                return false;
            }
            try {
                Ed25519PublicKeyParameters pub = new Ed25519PublicKeyParameters(from, ED25519_ID_PREFIX.length);
                Ed25519Signer signer = new Ed25519Signer();
                signer.init(false, pub);
                signer.update(payload, 0, payload.length);
                return signer.verifySignature(signature);
            } catch (IllegalArgumentException e) {
                return false; // not a point on the curve: BouncyCastle refuses the key
            }
        };
    }
}
