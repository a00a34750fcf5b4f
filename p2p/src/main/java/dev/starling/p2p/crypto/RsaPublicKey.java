package dev.starling.p2p.crypto;

import dev.starling.p2p.core.KeyType;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.core.PublicKey;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;

/** Verify-only RSA public key (PKIX DER, PKCS#1 v1.5 SHA-256 signatures). Immutable; thread-safe. */
final class RsaPublicKey implements PublicKey {
    /** Smallest and largest RSA moduli we accept, in bits. */
    static final int MIN_BITS = 2048;
    static final int MAX_BITS = 8192;
    private final byte[] data;
    private final java.security.PublicKey key;

    RsaPublicKey(byte[] data) {
        this.data = data.clone();
        try {
            key = KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(this.data));
        } catch (GeneralSecurityException e) {
            throw P2pException.protocolViolation("bad RSA public key: " + e.getMessage());
        }
        int bits = ((RSAPublicKey) key).getModulus().bitLength();
        if (bits < MIN_BITS || bits > MAX_BITS) throw P2pException.badPeer("RSA key of " + bits + " bits refused");
    }

    @Override
    public KeyType type() {
        return KeyType.RSA;
    }

    @Override
    public byte[] raw() {
        return data.clone();
    }

    @Override
    public byte[] marshal() {
        return Keys.marshal(KeyType.RSA, data, false);
    }

    @Override
    public boolean verify(byte[] message, byte[] signature) {
        try {
            Signature s = Signature.getInstance("SHA256withRSA");
            s.initVerify(key);
            s.update(message);
            return s.verify(signature);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    @Override
    public PeerId toPeerId() {
        return PeerIds.fromPublicKey(marshal());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RsaPublicKey k && Arrays.equals(k.data, data);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(data);
    }
}
