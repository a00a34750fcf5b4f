package dev.starling.collectives.verify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.collectives.CollectivesException;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AuditCodecTest {
    private static final int N = 3;
    private final AuditCodec codec = new AuditCodec(N, 2, new int[] {4, 4, 3});

    private static byte[] hash(final int seed) {
        byte[] h = new byte[32];
        Arrays.fill(h, (byte) seed);
        return h;
    }

    @Test
    void shouldRoundTripEveryMessageWithTheSenderFromTheTransport() {
        var c = assertInstanceOf(AuditMessage.Commitment.class,
            codec.decode(2, codec.encode(9, new AuditMessage.Commitment(0, hash(1)))).getFirst());
        assertEquals(2, c.member());
        assertArrayEquals(hash(1), c.root());

        ClipProjection[] ps = {new ClipProjection(new double[] {0.5, -1.25}, 2.0), null,
            new ClipProjection(new double[] {1, 2}, 3)};
        byte[] frame = codec.encode(9, new AuditMessage.Projections(1, ps, new boolean[] {true, false, true}));
        assertEquals(AuditCodec.Kind.PROJECT, AuditCodec.kind(frame));
        assertEquals(9, AuditCodec.round(frame));
        var p = assertInstanceOf(AuditMessage.Projections.class, codec.decode(1, frame).getFirst());
        assertArrayEquals(new boolean[] {true, false, true}, p.used());
        assertArrayEquals(new double[] {0.5, -1.25}, p.projections()[0].projections());
        assertNull(p.projections()[1]);

        List<AuditMessage> accusations = codec.decode(0, codec.encodeAccusations(9, List.of(2, 0)));
        assertEquals(List.of(new AuditMessage.Accusation(0, 2), new AuditMessage.Accusation(0, 0)), accusations);
        assertTrue(codec.decode(0, codec.encodeAccusations(9, List.of())).isEmpty());
        assertTrue(codec.decode(0, codec.encodeDone(9)).isEmpty());

        byte[][] hashes = {hash(1), hash(2), hash(3)};
        var r = assertInstanceOf(AuditMessage.Reveal.class, codec.decode(1,
            codec.encode(9, new AuditMessage.Reveal(1, 2, new float[] {1f, 2f, 3f}, hashes))).getFirst());
        assertArrayEquals(new float[] {1f, 2f, 3f}, r.values());
        assertArrayEquals(hash(3), r.partHashes()[2]);

        var receipts = assertInstanceOf(AuditMessage.Receipts.class, codec.decode(1,
            codec.encode(9, new AuditMessage.Receipts(1, 1, new byte[][] {hash(4), null, hash(5)}))).getFirst());
        assertNull(receipts.hashes()[1]);
        assertArrayEquals(hash(5), receipts.hashes()[2]);
    }

    @Test
    void shouldRejectShortTruncatedPaddedAndOutOfRangeFrames() {
        assertThrows(CollectivesException.class, () -> AuditCodec.kind(new byte[3]));
        byte[] bad = new byte[AuditCodec.HEADER];
        bad[0] = 42;
        assertThrows(CollectivesException.class, () -> codec.decode(0, bad));
        byte[] commit = codec.encode(1, new AuditMessage.Commitment(0, hash(1)));
        assertThrows(CollectivesException.class, () -> codec.decode(0, Arrays.copyOf(commit, commit.length - 1)));
        assertThrows(CollectivesException.class, () -> codec.decode(0, Arrays.copyOf(commit, commit.length + 1)));
        assertThrows(CollectivesException.class, () -> codec.decode(0, codec.encodeAccusations(1, List.of(7))));
    }

    @Test
    void shouldTurnEveryMutatedFrameIntoMessagesOrAProtocolViolation() {
        Random random = new Random(3);
        byte[] reveal = codec.encode(4, new AuditMessage.Reveal(1, 0, new float[] {1, 2, 3, 4},
            new byte[][] {hash(1), hash(2), hash(3)}));
        for (int i = 0; i < 2000; i++) {
            byte[] m = random.nextBoolean() ? reveal.clone() : Arrays.copyOf(reveal, random.nextInt(reveal.length));
            if (m.length > 0) {
                m[random.nextInt(m.length)] = (byte) random.nextInt(256);
            }
            try {
                codec.decode(1, m);
            } catch (CollectivesException e) {
                assertEquals(CollectivesException.Category.PROTOCOL_VIOLATION, e.category());
            }
        }
    }
}
