package dev.starling.p2p.security.noise;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.core.PrivateKey;
import dev.starling.p2p.crypto.Keys;
import dev.starling.p2p.testing.Mutator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.security.SecureRandom;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Noise handshake messages, handshake payloads and framing under mutated input: only P2pException, no leak. */
class NoiseFuzzTest {
    private static final PrivateKey ALICE = Keys.ed25519ForTest(31);
    private static final PrivateKey BOB = Keys.ed25519ForTest(32);

    private static SecureRandom seeded(long seed) {
        try {
            SecureRandom r = SecureRandom.getInstance("SHA1PRNG");
            r.setSeed(seed);
            return r;
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static NoiseHandshake initiator(PeerId expected) {
        return new NoiseHandshake(true, ALICE, List.of("/yamux/1.0.0"), expected, seeded(1));
    }

    private static NoiseHandshake responder() {
        return new NoiseHandshake(false, BOB, List.of("/yamux/1.0.0"), null, seeded(2));
    }

    @Test
    void shouldCompleteAHandshakeAndAgreeOnYamuxAndKeys() {
        NoiseHandshake i = initiator(BOB.publicKey().toPeerId());
        NoiseHandshake r = responder();
        r.readMessage(i.writeMessage());
        i.readMessage(r.writeMessage());
        r.readMessage(i.writeMessage());
        assertTrue(i.isComplete() && r.isComplete());
        assertEquals("/yamux/1.0.0", i.muxer());
        assertEquals(ALICE.publicKey(), r.remoteIdentity());
        NoiseCipherState[] ic = i.split();
        NoiseCipherState[] rc = r.split();
        byte[] sealed = ic[0].encrypt(new byte[0], new byte[] {1, 2, 3});
        assertEquals(3, rc[1].decrypt(new byte[0], sealed).length);
    }

    @Test
    void shouldRefuseAResponderThatIsNotTheDialedPeer() {
        NoiseHandshake i = initiator(Keys.ed25519ForTest(33).publicKey().toPeerId());
        NoiseHandshake r = responder();
        r.readMessage(i.writeMessage());
        P2pException e = assertThrows(P2pException.class, () -> i.readMessage(r.writeMessage()));
        assertEquals(P2pException.Category.BAD_PEER, e.category());
    }

    @Test
    void shouldOnlyThrowP2pExceptionOnMutatedHandshakeMessages() {
        NoiseHandshake i0 = initiator(null);
        NoiseHandshake r0 = responder();
        byte[] m1 = i0.writeMessage();
        r0.readMessage(m1);
        byte[] m2 = r0.writeMessage();
        i0.readMessage(m2);
        byte[] m3 = i0.writeMessage();
        Mutator mut = new Mutator(11, List.of(m1, m2, m3));
        int rejected = 0;
        for (int n = 0; n < Mutator.iterations(750); n++) {
            byte[] bad = mut.next();
            NoiseHandshake i = initiator(null);
            NoiseHandshake r = responder();
            try {
                switch (n % 3) {
                    case 0 -> r.readMessage(bad);
                    case 1 -> {
                        i.writeMessage();
                        i.readMessage(bad);
                    }
                    default -> {
                        r.readMessage(i.writeMessage());
                        i.readMessage(r.writeMessage());
                        r.readMessage(bad);
                    }
                }
            } catch (P2pException expected) {
                rejected++;
            }
        }
        assertTrue(rejected > 0);
    }

    @Test
    void shouldOnlyThrowP2pExceptionOnMutatedPayloads() {
        byte[] staticKey = new byte[32];
        byte[] good = NoiseHandshake.payload(ALICE, staticKey, List.of("/yamux/1.0.0"));
        NoiseHandshake.verifyPayload(good, staticKey, ALICE.publicKey().toPeerId());
        Mutator mut = new Mutator(12, List.of(good));
        for (int n = 0; n < Mutator.ITERATIONS; n++) {
            try {
                NoiseHandshake.verifyPayload(mut.next(), staticKey, null);
            } catch (P2pException expected) {
                // the only acceptable failure
            }
        }
    }

    @Test
    void shouldSplitFramesWhateverTheChunking() {
        Mutator mut = new Mutator(13, List.of(new byte[] {0, 3, 1, 2, 3, 0, 0, 0, 1, 9}));
        for (int n = 0; n < Mutator.ITERATIONS; n++) {
            EmbeddedChannel ch = new EmbeddedChannel(new NoiseFrameDecoder());
            byte[] in = mut.next();
            int cut = in.length == 0 ? 0 : mut.nextInt(in.length);
            ch.writeInbound(Unpooled.wrappedBuffer(in, 0, cut));
            ch.writeInbound(Unpooled.wrappedBuffer(in, cut, in.length - cut));
            int total = 0;
            ByteBuf f;
            while ((f = ch.readInbound()) != null) {
                total += 2 + f.readableBytes();
                f.release();
            }
            assertTrue(total <= in.length);
            ch.finishAndReleaseAll();
        }
    }
}
