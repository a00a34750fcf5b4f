package dev.starling.p2p.pubsub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.p2p.pubsub.pb.GossipsubProto;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Round trips, known bytes, caps and a fixed-seed mutation fuzz of the pubsub RPC codec. */
class GossipsubCodecTest {
    private final GossipsubCodec codec = new GossipsubCodec(RpcLimits.defaults());

    static Rpc sample() {
        PubsubMessage m = new PubsubMessage(new byte[] {0, 36, 8, 1}, "data".getBytes(),
                new byte[] {0, 0, 0, 0, 0, 0, 0, 7}, "topic", new byte[] {5, 5}, null);
        MessageId id = new MessageId(new byte[] {1, 2, 3});
        Rpc.Control control = new Rpc.Control(List.of(new Rpc.IHave("topic", List.of(id, id))),
                List.of(new Rpc.IWant(List.of(id))), List.of(new Rpc.Graft("topic")),
                List.of(new Rpc.Prune("topic", List.of(new Rpc.PeerInfo(new byte[] {7}, new byte[] {8})), 60)),
                List.of(new Rpc.IDontWant(List.of(id))));
        return new Rpc(List.of(new Rpc.SubOpts(true, "topic"), new Rpc.SubOpts(false, "old")), List.of(m), control);
    }

    @Test
    void shouldRoundTripEveryField() {
        Rpc rpc = sample();
        Rpc back = codec.decode(GossipsubCodec.encode(rpc));
        assertEquals(rpc.subscriptions(), back.subscriptions());
        assertEquals(rpc.messages(), back.messages());
        assertEquals(rpc.control().ihave(), back.control().ihave());
        assertEquals(rpc.control().iwant(), back.control().iwant());
        assertEquals(rpc.control().graft(), back.control().graft());
        assertEquals(60, back.control().prune().get(0).backoffSeconds());
        assertArrayEquals(new byte[] {7}, back.control().prune().get(0).peers().get(0).peerId());
        assertEquals(rpc.control().idontwant(), back.control().idontwant());
    }

    @Test
    void shouldAgreeByteForByteWithProtocGeneratedCode() throws Exception {
        byte[] bytes = GossipsubCodec.encode(sample());
        GossipsubProto.RPC generated = GossipsubProto.RPC.parseFrom(bytes);
        assertEquals(2, generated.getSubscriptionsCount());
        assertEquals("topic", generated.getPublish(0).getTopic());
        assertEquals(60, generated.getControl().getPrune(0).getBackoff());
        assertArrayEquals(bytes, generated.toByteArray(), "same bytes as protoc's encoder");
    }

    @Test
    void shouldEncodeSubscriptionAsSpecBytes() {
        byte[] bytes = GossipsubCodec.encode(new Rpc(List.of(new Rpc.SubOpts(true, "a")), List.of(), null));
        // RPC.subscriptions (field 1, len 5) { subscribe (1) = 1, topicid (2) = "a" }
        assertEquals("0a05080112016" + "1", HexFormat.of().formatHex(bytes));
    }

    @Test
    void shouldRejectRpcLargerThanCapBeforeParsing() {
        GossipsubCodec small = new GossipsubCodec(new RpcLimits(16, 4, 4, 4, 4, 4, 64, 64));
        PubsubWireException e = assertThrows(PubsubWireException.class, () -> small.decode(new byte[17]));
        assertEquals(PubsubWireException.Reason.RPC_TOO_LARGE, e.reason());
    }

    @Test
    void shouldRejectTooManyMessagesAndIds() {
        GossipsubCodec small = new GossipsubCodec(new RpcLimits(1 << 20, 4, 2, 4, 3, 4, 64, 64));
        List<PubsubMessage> three = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            three.add(new PubsubMessage(null, new byte[] {(byte) i}, null, "t", null, null));
        }
        byte[] many = GossipsubCodec.encode(new Rpc(List.of(), three, null));
        assertEquals(PubsubWireException.Reason.TOO_MANY_ENTRIES,
                assertThrows(PubsubWireException.class, () -> small.decode(many)).reason());
        MessageId id = new MessageId(new byte[] {1});
        byte[] ids = GossipsubCodec.encode(new Rpc(List.of(), List.of(), new Rpc.Control(List.of(),
                List.of(new Rpc.IWant(List.of(id, id, id, id))), List.of(), List.of(), List.of())));
        assertEquals(PubsubWireException.Reason.TOO_MANY_ENTRIES,
                assertThrows(PubsubWireException.class, () -> small.decode(ids)).reason());
    }

    @Test
    void shouldRejectHugeLengthPrefixWithoutAllocating() {
        // field 2 (message), length varint 0x7fffffff, no body
        byte[] bytes = {0x12, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07};
        assertEquals(PubsubWireException.Reason.MALFORMED,
                assertThrows(PubsubWireException.class, () -> codec.decode(bytes)).reason());
    }

    @Test
    void shouldRejectMessageWithoutTopic() {
        byte[] bytes = {0x12, 0x02, 0x12, 0x00};
        assertThrows(PubsubWireException.class, () -> codec.decode(bytes));
    }

    @Test
    void shouldSplitLargeRpcUnderMaxSize() {
        List<PubsubMessage> messages = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            messages.add(new PubsubMessage(null, new byte[1000], null, "t", null, null));
        }
        List<byte[]> parts = GossipsubCodec.encodeSplit(new Rpc(List.of(), messages, null), 2500);
        int total = 0;
        for (byte[] p : parts) {
            assertTrue(p.length <= 2500);
            total += codec.decode(p).messages().size();
        }
        assertEquals(10, total);
    }

    @Test
    void shouldSurviveFixedSeedMutationFuzzWithOnlyTypedErrors() {
        byte[] seedInput = GossipsubCodec.encode(sample());
        SplittableRandom random = new SplittableRandom(20261122);
        int ok = 0;
        int rejected = 0;
        int runs = Integer.getInteger("fuzz.iterations", 5000);
        for (int i = 0; i < runs; i++) {
            byte[] input = mutate(seedInput, random);
            try {
                codec.decode(input);
                ok++;
            } catch (PubsubWireException expected) {
                rejected++;
            }
        }
        System.out.printf("gossipsub codec fuzz: %d inputs, %d decoded, %d rejected with typed errors%n",
                runs, ok, rejected);
        assertEquals(runs, ok + rejected);
    }

    static byte[] mutate(byte[] seed, SplittableRandom random) {
        byte[] b = seed.clone();
        int kind = random.nextInt(5);
        switch (kind) {
            case 0 -> {
                for (int k = 0; k < 1 + random.nextInt(4); k++) {
                    b[random.nextInt(b.length)] ^= (byte) (1 << random.nextInt(8));
                }
            }
            case 1 -> b = java.util.Arrays.copyOf(b, random.nextInt(b.length));
            case 2 -> b[random.nextInt(b.length)] = (byte) random.nextInt(256);
            case 3 -> {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                int cut = random.nextInt(b.length);
                out.write(b, 0, cut);
                byte[] junk = new byte[random.nextInt(12)];
                random.nextBytes(junk);
                out.writeBytes(junk);
                out.write(b, cut, b.length - cut);
                b = out.toByteArray();
            }
            default -> {
                b = new byte[random.nextInt(64)];
                random.nextBytes(b);
            }
        }
        return b;
    }
}
