package dev.starling.p2p.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.p2p.core.KeyType;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.core.PublicKey;
import dev.starling.p2p.testing.Mutator;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.List;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.junit.jupiter.api.Test;

/** Verification of the other libp2p key types, and decoding under mutated input. */
class KeysTest {
    private static final byte[] MSG = "libp2p".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    @Test
    void shouldVerifyEcdsaP256WithASha256PeerId() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom(new byte[] {1}));
        KeyPair kp = g.generateKeyPair();
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign(kp.getPrivate());
        s.update(MSG);
        byte[] sig = s.sign();
        PublicKey key = Keys.unmarshalPublicKey(new EcdsaPublicKey(KeyType.ECDSA, kp.getPublic().getEncoded()).marshal());
        assertTrue(key.verify(MSG, sig));
        assertFalse(key.verify(new byte[] {1}, sig));
        PeerId id = key.toPeerId();
        assertEquals(0x12, id.bytes()[0]); // 91-byte PKIX key: sha2-256 multihash
        assertTrue(id.publicKey().isEmpty());
    }

    @Test
    void shouldVerifyRsa2048() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        KeyPair kp = g.generateKeyPair();
        Signature s = Signature.getInstance("SHA256withRSA");
        s.initSign(kp.getPrivate());
        s.update(MSG);
        PublicKey key = new RsaPublicKey(kp.getPublic().getEncoded());
        assertTrue(key.verify(MSG, s.sign()));
        assertEquals(key, Keys.unmarshalPublicKey(key.marshal()));
    }

    @Test
    void shouldVerifySecp256k1WithAnInlinedPeerId() {
        X9ECParameters curve = CustomNamedCurves.getByName("secp256k1");
        ECDomainParameters domain = new ECDomainParameters(curve.getCurve(), curve.getG(), curve.getN(), curve.getH());
        BigInteger d = new BigInteger("1234567890abcdef1234567890abcdef", 16);
        byte[] pub = curve.getG().multiply(d).normalize().getEncoded(true);
        ECDSASigner signer = new ECDSASigner();
        signer.init(true, new ECPrivateKeyParameters(d, domain));
        BigInteger[] rs = signer.generateSignature(PeerIds.sha256(MSG));
        ASN1EncodableVector v = new ASN1EncodableVector();
        v.add(new ASN1Integer(rs[0]));
        v.add(new ASN1Integer(rs[1]));
        byte[] der;
        try {
            der = new DERSequence(v).getEncoded();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        PublicKey key = new EcdsaPublicKey(KeyType.SECP256K1, pub);
        assertTrue(key.verify(MSG, der));
        assertFalse(key.verify(MSG, new byte[] {0x30, 0}));
        assertEquals(key, key.toPeerId().publicKey().orElseThrow()); // 37-byte encoding: identity multihash
    }

    @Test
    void shouldOnlyThrowP2pExceptionOnMutatedPublicKeys() {
        Mutator mut = new Mutator(71, List.of(Keys.ed25519ForTest(1).publicKey().marshal()));
        for (int n = 0; n < Mutator.iterations(2000); n++) {
            try {
                Keys.unmarshalPublicKey(mut.next()).verify(MSG, new byte[64]);
            } catch (P2pException expected) {
                // the only acceptable failure
            }
        }
        assertThrows(P2pException.class, () -> Keys.unmarshalPublicKey(new byte[] {8, 9, 18, 0}));
    }
}
