package dev.starling.p2p.protocol.identify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.core.PrivateKey;
import dev.starling.p2p.crypto.Keys;
import dev.starling.p2p.testing.Mutator;
import java.util.List;
import org.junit.jupiter.api.Test;

class IdentifyCodecTest {
    private static final PrivateKey KEY = Keys.ed25519ForTest(41);
    private static final PeerId PEER = KEY.publicKey().toPeerId();
    private static final List<Multiaddr> ADDRS = List.of(Multiaddr.fromString("/ip4/10.0.0.1/tcp/4001"));

    @Test
    void shouldRoundTripWithAValidSignedPeerRecord() {
        byte[] msg = IdentifyCodec.encode(KEY, ADDRS, List.of("/ipfs/ping/1.0.0"),
                Multiaddr.fromString("/ip4/1.2.3.4/tcp/5"), "starling/test", 7);
        IdentifyInfo info = IdentifyCodec.decode(PEER, msg);
        assertEquals(ADDRS, info.listenAddresses());
        assertEquals(List.of("/ipfs/ping/1.0.0"), info.protocols());
        assertEquals("starling/test", info.agentVersion());
        assertTrue(info.signedRecord());
    }

    @Test
    void shouldRejectAKeyThatIsNotTheSendersAndARecordSignedByAnother() {
        byte[] msg = IdentifyCodec.encode(KEY, ADDRS, List.of(), null, "a", 1);
        PeerId other = Keys.ed25519ForTest(42).publicKey().toPeerId();
        assertEquals(P2pException.Category.BAD_PEER,
                assertThrows(P2pException.class, () -> IdentifyCodec.decode(other, msg)).category());
        assertFalse(IdentifyCodec.verifyPeerRecord(other, IdentifyCodec.signedPeerRecord(KEY, ADDRS, 1)));
    }

    @Test
    void shouldOnlyThrowP2pExceptionOnMutatedMessagesAndAddresses() {
        byte[] msg = IdentifyCodec.encode(KEY, ADDRS, List.of("/ipfs/ping/1.0.0", "/ipfs/id/1.0.0"),
                Multiaddr.fromString("/ip6/::1/tcp/5"), "starling/test", 9);
        Mutator mut = new Mutator(41, List.of(msg));
        for (int n = 0; n < Mutator.ITERATIONS; n++) {
            try {
                IdentifyCodec.decode(PEER, mut.next());
            } catch (P2pException expected) {
                // the only acceptable failure
            }
        }
        Mutator addrs = new Mutator(42, List.of(ADDRS.getFirst().toBytes(),
                Multiaddr.fromString("/dns4/example.com/tcp/1/p2p/" + PEER).toBytes()));
        for (int n = 0; n < Mutator.ITERATIONS; n++) {
            try {
                Multiaddr a = Multiaddr.fromBytes(addrs.next());
                assertEquals(a, Multiaddr.fromString(a.toString()));
            } catch (P2pException expected) {
                // the only acceptable failure
            }
        }
    }
}
