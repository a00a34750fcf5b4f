package dev.starling.p2p.crypto;

import dev.starling.p2p.core.KeyType;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.core.PublicKey;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;

/**
 * Verify-only secp256k1 (33-byte compressed point) and ECDSA (PKIX DER) public keys; signatures are DER
 * ECDSA over SHA-256. Immutable; thread-safe.
 */
final class EcdsaPublicKey implements PublicKey {
    private static final X9ECParameters SECP256K1 = CustomNamedCurves.getByName("secp256k1");
    private final KeyType type;
    private final byte[] data;

    EcdsaPublicKey(KeyType type, byte[] data) {
        this.type = type;
        this.data = data.clone();
        if (type == KeyType.SECP256K1) {
            secp256k1Params();
        } else {
            jdkKey();
        }
    }

    private ECPublicKeyParameters secp256k1Params() {
        try {
            ECDomainParameters domain = new ECDomainParameters(SECP256K1.getCurve(), SECP256K1.getG(),
                    SECP256K1.getN(), SECP256K1.getH());
            return new ECPublicKeyParameters(SECP256K1.getCurve().decodePoint(data), domain);
        } catch (IllegalArgumentException e) {
            throw P2pException.protocolViolation("bad secp256k1 public key");
        }
    }

    private java.security.PublicKey jdkKey() {
        try {
            return KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(data));
        } catch (GeneralSecurityException e) {
            throw P2pException.protocolViolation("bad ECDSA public key: " + e.getMessage());
        }
    }

    @Override
    public KeyType type() {
        return type;
    }

    @Override
    public byte[] raw() {
        return data.clone();
    }

    @Override
    public byte[] marshal() {
        return Keys.marshal(type, data, false);
    }

    @Override
    public boolean verify(byte[] message, byte[] signature) {
        try {
            if (type == KeyType.ECDSA) {
                Signature s = Signature.getInstance("SHA256withECDSA");
                s.initVerify(jdkKey());
                s.update(message);
                return s.verify(signature);
            }
            ASN1Sequence seq = ASN1Sequence.getInstance(signature);
            BigInteger r = ASN1Integer.getInstance(seq.getObjectAt(0)).getValue();
            BigInteger sv = ASN1Integer.getInstance(seq.getObjectAt(1)).getValue();
            ECDSASigner signer = new ECDSASigner();
            signer.init(false, secp256k1Params());
            return signer.verifySignature(PeerIds.sha256(message), r, sv);
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
        return o instanceof EcdsaPublicKey k && k.type == type && Arrays.equals(k.data, data);
    }

    @Override
    public int hashCode() {
        return type.hashCode() * 31 + Arrays.hashCode(data);
    }
}
