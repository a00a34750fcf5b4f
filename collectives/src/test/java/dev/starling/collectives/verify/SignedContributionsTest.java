package dev.starling.collectives.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.collectives.CollectivesException;
import dev.starling.collectives.aggregate.Mean;
import dev.starling.collectives.butterfly.ButterflyConfig;
import dev.starling.collectives.butterfly.ButterflyMember;
import dev.starling.collectives.butterfly.ButterflyResult;
import dev.starling.collectives.butterfly.ContributionDigest;
import dev.starling.collectives.butterfly.Outgoing;
import dev.starling.collectives.butterfly.PartSplit;
import dev.starling.collectives.butterfly.PeerFault;
import dev.starling.collectives.codec.ChunkDescriptor;
import dev.starling.collectives.codec.ChunkKind;
import dev.starling.collectives.codec.Fp32Codec;
import dev.starling.collectives.codec.UpdateChunks;
import dev.starling.p2p.core.PrivateKey;
import dev.starling.p2p.crypto.Keys;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Contributions signed by the sender's Ed25519 identity key and checked by the reducer before it aggregates: a
 * contribution whose bytes or signature do not match is dropped and counted against its sender, and so is one with
 * NaN/Inf, the wrong length, or the wrong run or round.
 */
class SignedContributionsTest {
    private static final String RUN_ID = "run-5e1f";
    private static final long RUN_HASH = 0x5E1FL;
    private static final long ROUND = 4;
    private static final int N = 4;
    private static final int LENGTH = 400;
    private static final PrivateKey[] KEYS = IntStream.range(0, N).mapToObj(i -> Keys.ed25519ForTest(60 + i))
        .toArray(PrivateKey[]::new);
    private static final List<String> ROSTER = IntStream.range(0, N)
        .mapToObj(i -> KEYS[i].publicKey().toPeerId().toBase58()).toList();

    private record Message(int from, int to, MemorySegment chunk) {
    }

    /** One round; {@code rewrite} may replace a chunk in flight (by sender and receiver). */
    private static ButterflyResult[] round(final float[][] d, final SignedContributions.InProcessBoard board,
                                           final Rewrite rewrite) {
        ButterflyMember[] m = new ButterflyMember[N];
        for (int i = 0; i < N; i++) {
            m[i] = new ButterflyMember(new ButterflyConfig(ROSTER, i, LENGTH, PartSplit.even(), Fp32Codec.INSTANCE,
                Fp32Codec.INSTANCE, new Mean(), null, null, RUN_HASH, ROUND, 1_000, 2_000, 1 << 20), null);
            m[i].sealWith(new SignedContributions(RUN_ID, ROUND, ROSTER, i, KEYS[i],
                id -> ContributionSignature.keyOf(id).orElse(null), board));
        }
        ArrayDeque<Message> queue = new ArrayDeque<>();
        for (int i = 0; i < N; i++) {
            for (Outgoing o : m[i].start(d[i], 0)) {
                queue.add(new Message(i, o.to(), rewrite.apply(i, o.to(), o.chunk())));
            }
        }
        while (!queue.isEmpty()) {
            Message msg = queue.poll();
            for (Outgoing o : m[msg.to()].onChunk(msg.from(), msg.chunk(), 0)) {
                queue.add(new Message(msg.to(), o.to(), o.chunk()));
            }
        }
        ButterflyResult[] out = new ButterflyResult[N];
        for (int i = 0; i < N; i++) {
            m[i].onTick(2_000);
            out[i] = m[i].result();
        }
        return out;
    }

    @FunctionalInterface
    private interface Rewrite {
        MemorySegment apply(int from, int to, MemorySegment chunk);
    }

    private static float[][] deltas() {
        Random r = new Random(8);
        float[][] d = new float[N][LENGTH];
        for (float[] v : d) {
            for (int c = 0; c < LENGTH; c++) {
                v[c] = (float) r.nextGaussian();
            }
        }
        return d;
    }

    private static double honestMean(final float[][] d, final int c, final int without) {
        double s = 0;
        int k = 0;
        for (int i = 0; i < N; i++) {
            if (i != without) {
                s += d[i][c];
                k++;
            }
        }
        return s / k;
    }

    /** Member {@code from}'s contribution to part {@code to}, re-encoded from other values (valid CRC). */
    private static MemorySegment forged(final int to, final float[] values, final long runHash, final long round) {
        int off = PartSplit.even().offset(to, N, LENGTH);
        return UpdateChunks.encode(Fp32Codec.INSTANCE, ChunkKind.CONTRIBUTION, runHash, round, to, off, values, off,
            PartSplit.even().length(to, N, LENGTH));
    }

    private static void assertDroppedAndCounted(final ButterflyResult r, final int sender, final String why) {
        assertEquals(List.of(sender), r.missingContributors(), r.faults().toString());
        PeerFault f = r.faults().stream().filter(x -> x.member() == sender).findFirst().orElseThrow();
        assertTrue(f.reason().contains(why), f.reason());
    }

    @Test
    void shouldAggregateEverySignedContributionAndChargeSixtyFourBytesEach() {
        float[][] d = deltas();
        SignedContributions.InProcessBoard board = new SignedContributions.InProcessBoard();
        ButterflyResult[] r = round(d, board, (from, to, chunk) -> chunk);
        for (ButterflyResult res : r) {
            assertTrue(res.faults().isEmpty() && res.missingContributors().isEmpty(), res.faults().toString());
            assertEquals(honestMean(d, 7, -1), res.aggregate()[7], 1e-6);
        }
        assertEquals((long) N * (N - 1) * ContributionSignature.SIGNATURE_BYTES, board.bytes());
    }

    @Test
    void shouldDropATamperedContributionAndCountItAgainstTheSender() {
        float[][] d = deltas();
        float[] other = d[0].clone();
        // Member 3's contribution to reducer 1 is swapped in flight for other, validly framed values.
        ButterflyResult[] r = round(d, new SignedContributions.InProcessBoard(),
            (from, to, chunk) -> from == 3 && to == 1 ? forged(1, other, RUN_HASH, ROUND) : chunk);
        assertDroppedAndCounted(r[1], 3, "does not verify");
        int off = PartSplit.even().offset(1, N, LENGTH);
        assertEquals(honestMean(d, off, 3), r[1].aggregate()[off], 1e-6);
        assertEquals(CollectivesException.Category.BAD_PEER, r[1].faults().getFirst().category());
        assertTrue(r[0].faults().isEmpty() && r[2].faults().isEmpty(), "the other reducers got the real bytes");
    }

    @Test
    void shouldDropAContributionSignedWithAnotherKeyOrUnsigned() {
        float[][] d = deltas();
        SignedContributions.InProcessBoard board = new SignedContributions.InProcessBoard();
        PrivateKey stranger = Keys.ed25519ForTest(99);
        board.tamper((sender, part, sig) -> sender == 2 && part == 0 ? stranger.sign(new byte[] {1})
            : sender == 2 && part == 1 ? null : sender == 2 && part == 3 ? new byte[7] : sig);
        ButterflyResult[] r = round(d, board, (from, to, chunk) -> chunk);
        assertDroppedAndCounted(r[0], 2, "does not verify");
        assertDroppedAndCounted(r[1], 2, "no signature");
        assertDroppedAndCounted(r[3], 2, "7-byte signature");
    }

    @Test
    void shouldNotLetASignatureBeReplayedIntoAnotherRoundPartOrSender() {
        byte[] digest = ContributionDigest.ofChunkHashes(new byte[][] {new byte[32]});
        byte[] message = ContributionSignature.message(RUN_ID, ROUND, 1, ROSTER.get(2), digest);
        byte[] sig = ContributionSignature.sign(KEYS[2], message);
        assertNull(ContributionSignature.refusal(KEYS[2].publicKey(), message, sig));
        for (byte[] other : List.of(ContributionSignature.message(RUN_ID, ROUND + 1, 1, ROSTER.get(2), digest),
            ContributionSignature.message(RUN_ID, ROUND, 2, ROSTER.get(2), digest),
            ContributionSignature.message("run-other", ROUND, 1, ROSTER.get(2), digest))) {
            assertNotNull(ContributionSignature.refusal(KEYS[2].publicKey(), other, sig));
        }
        assertNotNull(ContributionSignature.refusal(KEYS[3].publicKey(), message, sig));
        assertNotNull(ContributionSignature.refusal(null, message, sig));
        assertEquals(KEYS[1].publicKey().toPeerId(), ContributionSignature.keyOf(ROSTER.get(1)).orElseThrow()
            .toPeerId());
        assertTrue(ContributionSignature.keyOf("not a peer id").isEmpty());
    }

    @Test
    void shouldDropContributionsWithInfinityWrongLengthOrForeignRunAndCountThem() {
        float[][] d = deltas();
        UnaryOperator<MemorySegment> infinite = chunk -> {
            MemorySegment copy = MemorySegment.ofArray(chunk.toArray(ValueLayout.JAVA_BYTE));
            copy.set(ValueLayout.JAVA_FLOAT_UNALIGNED, ChunkDescriptor.HEADER_LENGTH + 4, Float.POSITIVE_INFINITY);
            return copy;
        };
        int off2 = PartSplit.even().offset(2, N, LENGTH);
        ButterflyResult[] r = round(d, new SignedContributions.InProcessBoard(), (from, to, chunk) -> {
            if (from != 3) {
                return chunk;
            }
            return switch (to) {
                case 0 -> forged(0, d[3], RUN_HASH + 1, ROUND); // another run
                case 1 -> infinite.apply(chunk); // Inf in the payload (the CRC no longer matches either)
                default -> UpdateChunks.encode(Fp32Codec.INSTANCE, ChunkKind.CONTRIBUTION, RUN_HASH, ROUND, 2, off2,
                    d[3], off2, 10); // 10 elements where the part has 100
            };
        });
        for (int reducer = 0; reducer < 3; reducer++) {
            assertEquals(List.of(3), r[reducer].missingContributors(), "reducer " + reducer);
            assertEquals(3, r[reducer].faults().getFirst().member());
        }
        assertTrue(r[0].faults().getFirst().reason().contains("run"), r[0].faults().toString());
        assertEquals(CollectivesException.Category.PROTOCOL_VIOLATION, r[2].faults().getFirst().category());
    }
}
