package dev.starling.p2p.crypto;

import dev.starling.p2p.core.KeyType;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.core.PrivateKey;
import dev.starling.p2p.core.PublicKey;
import java.util.Arrays;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/** Ed25519 keys on BouncyCastle's lightweight API. Immutable; thread-safe (a signer per call). */
final class Ed25519Keys {
    static final int SEED_BYTES = 32;

    private Ed25519Keys() {
    }

    static PrivateKey fromSeed(byte[] seed) {
        if (seed.length != SEED_BYTES) throw new IllegalArgumentException("Ed25519 seed must be 32 bytes");
        return new Private(new Ed25519PrivateKeyParameters(seed, 0));
    }

    static PublicKey publicKey(byte[] raw) {
        if (raw.length != Ed25519PublicKeyParameters.KEY_SIZE) {
            throw P2pException.protocolViolation("Ed25519 public key must be 32 bytes, got " + raw.length);
        }
        try {
            return new Public(new Ed25519PublicKeyParameters(raw, 0));
        } catch (IllegalArgumentException e) {
            throw P2pException.protocolViolation("bad Ed25519 public key");
        }
    }

    private record Private(Ed25519PrivateKeyParameters params) implements PrivateKey {
        @Override
        public KeyType type() {
            return KeyType.ED25519;
        }

        @Override
        public byte[] sign(byte[] data) {
            Ed25519Signer signer = new Ed25519Signer();
            signer.init(true, params);
            signer.update(data, 0, data.length);
            return signer.generateSignature();
        }

        @Override
        public PublicKey publicKey() {
            return new Public(params.generatePublicKey());
        }

        @Override
        public byte[] marshal() {
            byte[] both = new byte[64];
            System.arraycopy(params.getEncoded(), 0, both, 0, 32);
            System.arraycopy(params.generatePublicKey().getEncoded(), 0, both, 32, 32);
            return Keys.marshal(KeyType.ED25519, both, true);
        }

        @Override
        public String toString() {
            return "Ed25519PrivateKey[" + publicKey().toPeerId() + "]";
        }
    }

    private record Public(Ed25519PublicKeyParameters params) implements PublicKey {
        @Override
        public KeyType type() {
            return KeyType.ED25519;
        }

        @Override
        public byte[] raw() {
            return params.getEncoded();
        }

        @Override
        public byte[] marshal() {
            return Keys.marshal(KeyType.ED25519, raw(), false);
        }

        @Override
        public boolean verify(byte[] data, byte[] signature) {
            if (signature.length != Ed25519PrivateKeyParameters.SIGNATURE_SIZE) return false;
            Ed25519Signer signer = new Ed25519Signer();
            signer.init(false, params);
            signer.update(data, 0, data.length);
            return signer.verifySignature(signature);
        }

        @Override
        public PeerId toPeerId() {
            return PeerIds.fromPublicKey(marshal());
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Public p && Arrays.equals(raw(), p.raw());
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(raw());
        }
    }
}
