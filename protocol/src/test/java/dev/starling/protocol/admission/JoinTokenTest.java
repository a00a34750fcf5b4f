package dev.starling.protocol.admission;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.protocol.manifest.RunManifest;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Join tokens and the admission policy, signed with the JDK's own Ed25519 (the peer binds libp2p keys instead). */
class JoinTokenTest {
    private static final String RUN = "ab".repeat(32);
    private static final String PEER = "12D3KooWPeer";

    private static byte[] sign(KeyPair key, byte[] payload) throws Exception {
        Signature s = Signature.getInstance("Ed25519");
        s.initSign(key.getPrivate());
        s.update(payload);
        return s.sign();
    }

    private static AdmissionPolicy.RunKeyCheck check(KeyPair key) {
        return (payload, signature) -> {
            try {
                Signature s = Signature.getInstance("Ed25519");
                s.initVerify(key.getPublic());
                s.update(payload);
                return s.verify(signature);
            } catch (java.security.GeneralSecurityException e) {
                return false;
            }
        };
    }

    @Test
    void shouldRoundTripTheTextFormAndRefuseMalformedTokens() throws Exception {
        KeyPair key = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        JoinToken token = new JoinToken(RUN, PEER, 1_800_000_000L, sign(key, JoinToken.signingPayload(RUN, PEER,
                1_800_000_000L)));
        JoinToken back = JoinToken.fromText("  " + token.toText() + "\n");
        assertEquals(RUN, back.runId());
        assertEquals(PEER, back.peerId());
        assertArrayEquals(token.signature(), back.signature());
        byte[] wire = token.encode();
        assertThrows(AdmissionException.class, () -> JoinToken.decode(Arrays.copyOf(wire, wire.length - 1)));
        assertThrows(AdmissionException.class, () -> JoinToken.decode(new byte[JoinToken.MAX_ENCODED_BYTES + 1]));
        byte[] lying = wire.clone();
        lying[0] = (byte) 200; // claims a longer run id than the message holds
        assertThrows(AdmissionException.class, () -> JoinToken.decode(lying));
        for (String bad : List.of("", "st1.", "st1.!!!", "hello", "st1." + "A".repeat(5000))) {
            assertThrows(AdmissionException.class, () -> JoinToken.fromText(bad), bad);
        }
    }

    @Test
    void shouldAdmitByPolicyAndCheckRunPeerExpiryAndSignature() throws Exception {
        KeyPair runKey = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        KeyPair other = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        AdmissionPolicy open = new AdmissionPolicy(new RunManifest.Admission("open", List.of()), RUN, "coord",
                check(runKey));
        assertEquals(AdmissionPolicy.Verdict.ADMITTED, open.check(PEER));
        AdmissionPolicy allow = new AdmissionPolicy(new RunManifest.Admission("allowlist", List.of(PEER)), RUN,
                "coord", check(runKey));
        assertEquals(AdmissionPolicy.Verdict.ADMITTED, allow.check(PEER));
        assertEquals(AdmissionPolicy.Verdict.REFUSED, allow.check("12D3KooWOther"));
        assertEquals(AdmissionPolicy.Verdict.ADMITTED, allow.check("coord"), "the run key is always admitted");
        AdmissionPolicy tokens = new AdmissionPolicy(new RunManifest.Admission("token", List.of()), RUN, "coord",
                check(runKey));
        assertEquals(AdmissionPolicy.Verdict.NEEDS_TOKEN, tokens.check(PEER));

        long expiry = 1_000;
        JoinToken good = new JoinToken(RUN, PEER, expiry, sign(runKey, JoinToken.signingPayload(RUN, PEER, expiry)));
        assertNull(tokens.refusal(PEER, good, 999));
        assertTrue(tokens.refusal(PEER, good, 1_001).contains("expired"));
        assertTrue(tokens.refusal("12D3KooWOther", good, 0).contains("another peer id"));
        JoinToken forged = new JoinToken(RUN, PEER, 0, sign(other, JoinToken.signingPayload(RUN, PEER, 0)));
        assertTrue(tokens.refusal(PEER, forged, 0).contains("not signed by the run key"));
        JoinToken stretched = new JoinToken(RUN, PEER, 0, good.signature()); // expiry edited away
        assertTrue(tokens.refusal(PEER, stretched, 0).contains("not signed by the run key"));
        String otherRun = "cd".repeat(32);
        JoinToken elsewhere = new JoinToken(otherRun, PEER, 0, sign(runKey, JoinToken.signingPayload(otherRun, PEER,
                0)));
        assertTrue(tokens.refusal(PEER, elsewhere, 0).contains("for run cdcd"));
    }
}
