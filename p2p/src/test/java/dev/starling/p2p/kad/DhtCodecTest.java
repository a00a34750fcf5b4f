package dev.starling.p2p.kad;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.starling.p2p.kad.pb.DhtProto;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Round trip, agreement with protoc-generated code, caps and a fixed-seed mutation fuzz of the DHT codec. */
class DhtCodecTest {
    private final DhtCodec codec = new DhtCodec(DhtCodec.Limits.defaults());

    static DhtMessage sample() {
        return new DhtMessage(DhtMessage.Type.GET_VALUE, "/pk/x".getBytes(),
                new DhtMessage.Record("/pk/x".getBytes(), new byte[] {1, 2, 3}, "2026-11-22T00:00:00Z"),
                List.of(DhtMessage.Peer.of(KadCoreTest.peer(1), 1)),
                List.of(new DhtMessage.Peer(KadCoreTest.peer(2).id(), List.of(new byte[] {4, 1, 2, 3, 4}), 0)));
    }

    @Test
    void shouldRoundTripAndAgreeWithGeneratedCode() throws Exception {
        DhtMessage m = sample();
        byte[] bytes = DhtCodec.encode(m);
        DhtMessage back = codec.decode(bytes);
        assertEquals(m.type(), back.type());
        assertArrayEquals(m.key(), back.key());
        assertArrayEquals(m.record().value(), back.record().value());
        assertEquals("2026-11-22T00:00:00Z", back.record().timeReceived());
        assertEquals(m.closerPeers().get(0).id(), back.closerPeers().get(0).id());
        assertEquals(1, back.closerPeers().get(0).connection());
        assertArrayEquals(new byte[] {4, 1, 2, 3, 4}, back.providerPeers().get(0).addrs().get(0));

        DhtProto.Message generated = DhtProto.Message.parseFrom(bytes);
        assertEquals(DhtProto.Message.MessageType.GET_VALUE, generated.getType());
        assertEquals(1, generated.getCloserPeersCount());
        assertArrayEquals(bytes, generated.toByteArray(), "same bytes as protoc's encoder");
    }

    @Test
    void shouldRejectTooManyPeersAndUnknownType() {
        DhtCodec small = new DhtCodec(new DhtCodec.Limits(1 << 20, 64, 1, 4, 64));
        assertEquals(DhtWireException.Reason.TOO_MANY_ENTRIES,
                assertThrows(DhtWireException.class, () -> small.decode(DhtCodec.encode(sample()))).reason());
        assertEquals(DhtWireException.Reason.MALFORMED,
                assertThrows(DhtWireException.class, () -> codec.decode(new byte[] {0x08, 0x63})).reason());
        assertEquals(DhtWireException.Reason.MESSAGE_TOO_LARGE,
                assertThrows(DhtWireException.class, () -> small.decode(new byte[(1 << 20) + 1])).reason());
    }

    @Test
    void shouldSurviveFixedSeedMutationFuzzWithOnlyTypedErrors() {
        byte[] seedInput = DhtCodec.encode(sample());
        SplittableRandom random = new SplittableRandom(4242);
        int runs = Integer.getInteger("fuzz.iterations", 5000);
        int ok = 0;
        int rejected = 0;
        DhtServer server = new DhtServer(KadConfig.defaults(), KadCoreTest.peer(0));
        for (int i = 1; i < 30; i++) {
            server.table().update(KadCoreTest.peer(i));
        }
        for (int i = 0; i < runs; i++) {
            try {
                DhtMessage m = codec.decode(mutate(seedInput, random));
                ok++;
                // Whatever decodes must also be safe to serve.
                server.handle(KadCoreTest.peer(1).id(), m, i);
            } catch (DhtWireException expected) {
                rejected++;
            }
        }
        System.out.printf("dht codec fuzz: %d inputs, %d decoded, %d rejected with typed errors%n", runs, ok,
                rejected);
        assertEquals(runs, ok + rejected);
    }

    static byte[] mutate(byte[] seed, SplittableRandom random) {
        byte[] b = seed.clone();
        switch (random.nextInt(4)) {
            case 0 -> b[random.nextInt(b.length)] ^= (byte) (1 << random.nextInt(8));
            case 1 -> b = java.util.Arrays.copyOf(b, random.nextInt(b.length));
            case 2 -> {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                int cut = random.nextInt(b.length);
                out.write(b, 0, cut);
                byte[] junk = new byte[1 + random.nextInt(8)];
                random.nextBytes(junk);
                out.writeBytes(junk);
                out.write(b, cut, b.length - cut);
                b = out.toByteArray();
            }
            default -> b[random.nextInt(b.length)] = (byte) random.nextInt(256);
        }
        return b;
    }
}
