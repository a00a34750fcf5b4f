package dev.starling.p2p.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.p2p.crypto.Keys;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class PeerIdAndMultiaddrTest {
    @Test
    void shouldDeriveIdentityPeerIdFromEd25519Key() {
        PrivateKey key = Keys.ed25519ForTest(1);
        PeerId id = key.publicKey().toPeerId();
        assertTrue(id.toBase58().startsWith("12D3KooW"), id.toBase58());
        assertEquals(id, PeerId.fromString(id.toBase58()));
        assertEquals(key.publicKey(), id.publicKey().orElseThrow());
        byte[] b = id.bytes();
        assertEquals(0x00, b[0]);
        assertEquals(0x24, b[1]);
    }

    @Test
    void shouldSignAndVerifyWithEd25519() {
        PrivateKey key = Keys.ed25519ForTest(7);
        byte[] sig = key.sign(new byte[] {1, 2, 3});
        assertTrue(key.publicKey().verify(new byte[] {1, 2, 3}, sig));
        assertFalse(key.publicKey().verify(new byte[] {1, 2, 4}, sig));
        assertFalse(key.publicKey().verify(new byte[] {1, 2, 3}, new byte[3]));
        PrivateKey back = Keys.unmarshalPrivateKey(key.marshal());
        assertArrayEquals(key.publicKey().marshal(), back.publicKey().marshal());
    }

    @Test
    void shouldMatchSpecEd25519PublicKeyVector() {
        // libp2p/specs peer-ids.md test vector: Ed25519 public key protobuf.
        byte[] pub = HexFormat.of().parseHex("080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e");
        PublicKey key = Keys.unmarshalPublicKey(pub);
        assertEquals(KeyType.ED25519, key.type());
        assertArrayEquals(pub, key.marshal());
    }

    @Test
    void shouldRoundTripMultiaddrTextAndBinary() {
        PeerId id = Keys.ed25519ForTest(2).publicKey().toPeerId();
        String[] texts = {"/ip4/127.0.0.1/tcp/4001", "/ip6/::1/tcp/80", "/dns4/example.com/tcp/443",
            "/ip4/1.2.3.4/tcp/1/p2p/" + id + "/p2p-circuit/p2p/" + id, "/memory/alice"};
        for (String t : texts) {
            Multiaddr a = Multiaddr.fromString(t);
            assertEquals(a, Multiaddr.fromBytes(a.toBytes()));
            assertEquals(a, Multiaddr.fromString(a.toString()));
        }
        assertArrayEquals(HexFormat.of().parseHex("047f000001060fa1"),
                Multiaddr.fromString("/ip4/127.0.0.1/tcp/4001").toBytes());
        assertEquals(id, Multiaddr.fromString("/ip4/1.2.3.4/tcp/1/p2p/" + id).peerId().orElseThrow());
    }

    @Test
    void shouldRejectMalformedMultiaddrs() {
        for (String bad : new String[] {"ip4/1.2.3.4", "/ip4/1.2.3", "/ip4/256.1.1.1", "/tcp/70000", "/foo/1",
            "/ip6/zz::1", "/p2p/notbase58!", "/ip4"}) {
            assertThrows(P2pException.class, () -> Multiaddr.fromString(bad), bad);
        }
        assertThrows(P2pException.class, () -> Multiaddr.fromBytes(new byte[] {4, 1, 2}));
        assertThrows(P2pException.class, () -> Multiaddr.fromBytes(new byte[] {(byte) 0xa5, 3, 100, 1}));
    }
}
