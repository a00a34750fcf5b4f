package dev.starling.collectives.butterfly;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.collectives.CollectivesException;
import dev.starling.collectives.aggregate.Aggregator;
import dev.starling.collectives.aggregate.CenteredClip;
import dev.starling.collectives.aggregate.Mean;
import dev.starling.collectives.codec.BlockQuantCodec;
import dev.starling.collectives.codec.ChunkDescriptor;
import dev.starling.collectives.codec.ChunkKind;
import dev.starling.collectives.codec.ErrorFeedback;
import dev.starling.collectives.codec.Fp32Codec;
import dev.starling.collectives.codec.UpdateChunks;
import dev.starling.collectives.codec.UpdateCodec;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.BiPredicate;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Runs whole groups of {@link ButterflyMember}s against each other in memory, on a manual clock. */
class ButterflyAllReduceTest {
    private static final long RUN = 0xC0FFEEL;
    private static final long ROUND = 12;
    private static final long REDUCE_DEADLINE = 1_000;
    private static final long GATHER_DEADLINE = 2_000;

    private record Message(int from, int to, MemorySegment chunk) {
    }

    /** An in-memory group: delivers messages in a seeded shuffled order; a drop rule models dead links. */
    private static final class Group {
        final ButterflyMember[] members;
        final List<Message> inFlight = new ArrayList<>();
        final Random random;
        final BiPredicate<Integer, Integer> dropped;
        int dead = -1;
        long now;

        Group(final ButterflyMember[] members, final long seed, final BiPredicate<Integer, Integer> dropped) {
            this.members = members;
            this.random = new Random(seed);
            this.dropped = dropped;
        }

        void post(final int from, final List<Outgoing> out) {
            for (Outgoing o : out) {
                if (!dropped.test(from, o.to())) {
                    inFlight.add(new Message(from, o.to(), o.chunk()));
                }
            }
        }

        void deliverAll() {
            while (!inFlight.isEmpty()) {
                Collections.shuffle(inFlight, random);
                ArrayDeque<Message> batch = new ArrayDeque<>(inFlight);
                inFlight.clear();
                for (Message m : batch) {
                    if (m.to() == dead) {
                        continue; // A dead member processes nothing.
                    }
                    post(m.to(), members[m.to()].onChunk(m.from(), m.chunk(), now));
                }
            }
        }

        void tick(final long t) {
            now = t;
            for (int i = 0; i < members.length; i++) {
                if (i == dead) {
                    continue;
                }
                post(i, members[i].onTick(now));
            }
            deliverAll();
        }
    }

    private static List<String> roster(final int n) {
        return IntStream.range(0, n).mapToObj(i -> "peer-" + i).toList();
    }

    private static float[][] deltas(final int n, final int length, final long seed) {
        Random r = new Random(seed);
        float[][] d = new float[n][length];
        for (float[] v : d) {
            for (int c = 0; c < length; c++) {
                v[c] = (float) (0.01 * r.nextGaussian());
            }
        }
        return d;
    }

    private static ButterflyMember[] members(final int n, final int length, final UpdateCodec codec,
                                             final Aggregator aggregator) {
        return members(n, length, codec, aggregator, ButterflyConfig.DEFAULT_CHUNK_ELEMENTS);
    }

    private static ButterflyMember[] members(final int n, final int length, final UpdateCodec codec,
                                             final Aggregator aggregator, final int chunkElements) {
        ButterflyMember[] m = new ButterflyMember[n];
        for (int i = 0; i < n; i++) {
            ButterflyConfig config = new ButterflyConfig(roster(n), i, length, PartSplit.even(), codec,
                Fp32Codec.INSTANCE, aggregator, null, null, RUN, ROUND, REDUCE_DEADLINE, GATHER_DEADLINE,
                chunkElements);
            m[i] = new ButterflyMember(config, new ErrorFeedback(length));
        }
        return m;
    }

    @Test
    void shouldAgreeOnTheMeanWithoutNeedingAnyDeadline() {
        int n = 8;
        int length = 1003;
        float[][] d = deltas(n, length, 1);
        Group g = new Group(members(n, length, Fp32Codec.INSTANCE, new Mean()), 2, (a, b) -> false);
        for (int i = 0; i < n; i++) {
            g.post(i, g.members[i].start(d[i], 0));
        }
        g.deliverAll();
        for (int i = 0; i < n; i++) {
            assertEquals(ButterflyMember.Phase.DONE, g.members[i].phase(), "member " + i);
            ButterflyResult r = g.members[i].result();
            assertTrue(r.missingParts().isEmpty() && r.missingContributors().isEmpty() && r.faults().isEmpty());
            for (int c = 0; c < length; c++) {
                double mean = 0;
                for (float[] v : d) {
                    mean += v[c];
                }
                assertEquals(mean / n, r.aggregate()[c], 1e-7, "element " + c);
            }
        }
    }

    @Test
    void shouldGiveEveryHonestMemberIdenticalBytesWhenOneDiesMidRound() {
        int n = 8;
        int length = 4099;
        int dead = 5;
        float[][] d = deltas(n, length, 3);
        // Member 5 sends its contributions to members 0..3 only, then dies: it never reduces its part.
        BiPredicate<Integer, Integer> dropped = (from, to) -> from == dead && to > 3;
        ButterflyMember[] m = members(n, length, BlockQuantCodec.int8(64), new CenteredClip(0.5, 30, 1e-7));
        Group g = new Group(m, 4, dropped);
        for (int i = 0; i < n; i++) {
            g.post(i, m[i].start(d[i], 0));
        }
        g.dead = dead;
        g.deliverAll();
        // Nobody can finish: reducers 4, 6 and 7 still wait for member 5's contribution, everyone for part 5.
        for (int i = 0; i < n; i++) {
            assertTrue(m[i].phase() != ButterflyMember.Phase.DONE, "member " + i);
        }
        g.tick(REDUCE_DEADLINE);
        g.tick(GATHER_DEADLINE);
        byte[] reference = null;
        for (int i = 0; i < n; i++) {
            if (i == dead) {
                continue;
            }
            ButterflyResult r = m[i].result();
            assertEquals(List.of(dead), r.missingParts(), "member " + i);
            assertEquals(i > 3 ? List.of(dead) : List.of(), r.missingContributors(), "member " + i);
            byte[] bytes = MemorySegment.ofArray(r.aggregate()).toArray(ValueLayout.JAVA_BYTE);
            if (reference == null) {
                reference = bytes;
            } else {
                assertArrayEquals(reference, bytes, "member " + i + " differs");
            }
        }
    }

    @Test
    void shouldLeaveOutAndReportAMemberThatSendsMalformedOrForeignChunks() {
        int n = 4;
        int length = 400;
        float[][] d = deltas(n, length, 9);
        ButterflyMember[] m = members(n, length, Fp32Codec.INSTANCE, new Mean());
        List<Outgoing> liar = m[3].start(d[3], 0);
        // To member 0: a chunk for another round; to member 1: a truncated chunk; to member 2: a NaN payload.
        MemorySegment otherRound = UpdateChunks.encode(Fp32Codec.INSTANCE, ChunkKind.CONTRIBUTION, RUN, ROUND + 1, 0,
            0, d[3], 0, 100);
        MemorySegment nan = UpdateChunks.encode(Fp32Codec.INSTANCE, ChunkKind.CONTRIBUTION, RUN, ROUND, 2, 200, d[3],
            200, 100);
        nan.set(ValueLayout.JAVA_FLOAT_UNALIGNED, ChunkDescriptor.HEADER_LENGTH + 8, Float.NaN);
        Group g = new Group(m, 5, (from, to) -> from == 3);
        for (int i = 0; i < 3; i++) {
            g.post(i, m[i].start(d[i], 0));
        }
        g.post(0, m[0].onChunk(3, otherRound, 0));
        MemorySegment truncated = liar.get(1).chunk().asSlice(0, liar.get(1).chunk().byteSize() - 3);
        g.post(1, m[1].onChunk(3, truncated, 0));
        g.post(2, m[2].onChunk(3, nan, 0));
        g.deliverAll();
        g.tick(GATHER_DEADLINE);
        CollectivesException.Category[] expected = {CollectivesException.Category.PROTOCOL_VIOLATION,
            CollectivesException.Category.BAD_PEER, CollectivesException.Category.BAD_PEER};
        for (int i = 0; i < 3; i++) {
            ButterflyResult r = m[i].result();
            assertEquals(1, r.faults().size(), "member " + i + " " + r.faults());
            assertEquals(3, r.faults().get(0).member());
            assertEquals(expected[i], r.faults().get(0).category(), r.faults().get(0).reason());
            assertEquals(List.of(3), r.missingContributors());
            assertEquals(List.of(3), r.missingParts());
            // Part i is the mean of the three honest members only.
            int off = PartSplit.even().offset(i, n, length);
            double mean = (d[0][off] + d[1][off] + d[2][off]) / 3.0;
            assertEquals(mean, r.aggregate()[off], 1e-7);
        }
        assertArrayEquals(m[0].result().aggregate(), m[1].result().aggregate());
        assertArrayEquals(m[0].result().aggregate(), m[2].result().aggregate());
    }

    @Test
    void shouldKeepSixteenMembersOnTheHonestMeanWithSevenSignFlippersUnderCenteredClip() {
        int n = 16;
        int length = 16 * 64;
        Random r = new Random(21);
        float[] direction = new float[length];
        for (int c = 0; c < length; c++) {
            direction[c] = (float) (0.01 * r.nextGaussian());
        }
        float[][] d = new float[n][length];
        float[] honestMean = new float[length];
        for (int i = 0; i < 9; i++) {
            for (int c = 0; c < length; c++) {
                d[i][c] = (float) (direction[c] + 0.003 * r.nextGaussian());
                honestMean[c] += d[i][c] / 9;
            }
        }
        for (int i = 9; i < n; i++) {
            for (int c = 0; c < length; c++) {
                d[i][c] = -d[i - 9][c];
            }
        }
        double errClip = run(n, length, d, new CenteredClip(0.02, 200, 1e-9), honestMean);
        double errMean = run(n, length, d, new Mean(), honestMean);
        // RMS per coordinate; honest noise sigma is 0.003 and the honest direction's RMS 0.01. The mean is dragged
        // ~0.875 of the direction away; CenteredClip keeps the ~1 sigma bias that 7 of 16 attackers always buy.
        System.out.printf("butterfly 7/16 sign flip: RMS error centered-clip %.5f, mean %.5f%n", errClip, errMean);
        assertTrue(errClip < 0.004, "centered clip error " + errClip);
        assertTrue(errMean > 0.008, "mean error " + errMean);
        assertTrue(errClip < 0.45 * errMean, "clip " + errClip + " vs mean " + errMean);
    }

    private static double run(final int n, final int length, final float[][] d, final Aggregator aggregator,
                              final float[] honestMean) {
        Group g = new Group(members(n, length, Fp32Codec.INSTANCE, aggregator), 6, (a, b) -> false);
        for (int i = 0; i < n; i++) {
            g.post(i, g.members[i].start(d[i], 0));
        }
        g.deliverAll();
        float[] first = g.members[0].result().aggregate();
        for (int i = 1; i < n; i++) {
            assertArrayEquals(first, g.members[i].result().aggregate(), 0f, "member " + i);
        }
        double s = 0;
        for (int c = 0; c < length; c++) {
            s += (first[c] - honestMean[c]) * (double) (first[c] - honestMean[c]);
        }
        return Math.sqrt(s / length);
    }

    @Test
    void shouldStayByteIdenticalWhenOnlyOneMemberSawABadContribution() {
        int n = 5;
        int length = 500;
        float[][] d = deltas(n, length, 31);
        ButterflyMember[] m = members(n, length, BlockQuantCodec.int4(16), new CenteredClip(0.1, 50, 1e-9));
        Group g = new Group(m, 32, (from, to) -> false);
        for (int i = 0; i < n; i++) {
            List<Outgoing> out = m[i].start(d[i], 0);
            if (i == 4) {
                // Member 4 corrupts the contribution it sends to member 0 only (a valid checksum over a bad scale).
                MemorySegment bad = out.get(0).chunk();
                bad.set(ValueLayout.JAVA_FLOAT_UNALIGNED, ChunkDescriptor.HEADER_LENGTH, -1f);
                int crc = new ChunkDescriptor().wrap(bad, 0)
                    .computeChecksum((int) bad.byteSize() - ChunkDescriptor.HEADER_LENGTH);
                bad.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN),
                    ChunkDescriptor.CHECKSUM_OFFSET, crc);
            }
            g.post(i, out);
        }
        g.deliverAll();
        for (int i = 0; i < n; i++) {
            assertEquals(ButterflyMember.Phase.DONE, m[i].phase(), "member " + i);
            assertTrue(m[i].result().missingParts().isEmpty(), "member " + i);
            assertArrayEquals(m[0].result().aggregate(), m[i].result().aggregate(), 0f, "member " + i);
        }
        assertEquals(List.of(4), m[0].result().missingContributors());
        assertEquals(CollectivesException.Category.BAD_PEER, m[0].result().faults().get(0).category());
        assertTrue(m[0].result().faults().get(0).reason().contains("scale"), m[0].result().faults().get(0).reason());
        assertTrue(m[1].result().faults().isEmpty());
    }

    @Test
    void shouldWeightContributionsBySamplesProcessed() {
        int n = 3;
        int length = 30;
        float[][] d = {new float[length], new float[length], new float[length]};
        java.util.Arrays.fill(d[0], 1f);
        java.util.Arrays.fill(d[1], 2f);
        java.util.Arrays.fill(d[2], 4f);
        double[] samples = {1000, 3000, 0};
        ButterflyMember[] m = new ButterflyMember[n];
        for (int i = 0; i < n; i++) {
            m[i] = new ButterflyMember(new ButterflyConfig(roster(n), i, length, PartSplit.even(), Fp32Codec.INSTANCE,
                Fp32Codec.INSTANCE, new Mean(), samples, null, RUN, ROUND, REDUCE_DEADLINE, GATHER_DEADLINE), null);
        }
        Group g = new Group(m, 1, (a, b) -> false);
        for (int i = 0; i < n; i++) {
            g.post(i, m[i].start(d[i], 0));
        }
        g.deliverAll();
        for (int i = 0; i < n; i++) {
            for (float v : m[i].result().aggregate()) {
                assertEquals(1.75f, v, 1e-6f);
            }
        }
    }

    @Test
    void shouldGiveTheSameBytesWhetherPartsTravelWholeOrInSmallChunks() {
        int n = 8;
        int length = 4099;
        float[][] d = deltas(n, length, 41);
        byte[] reference = null;
        for (int chunk : new int[] {ButterflyConfig.DEFAULT_CHUNK_ELEMENTS, 97, 1}) {
            ButterflyMember[] m = members(n, length, Fp32Codec.INSTANCE, new CenteredClip(0.02, 50, 1e-9), chunk);
            // Member 2 dies after sending only the first few chunks to each reducer: its contribution is partial
            // everywhere, so every reducer must leave it out.
            Group g = new Group(m, 42, (from, to) -> false);
            for (int i = 0; i < n; i++) {
                List<Outgoing> out = m[i].start(d[i], 0);
                if (i == 2) {
                    out = chunk == ButterflyConfig.DEFAULT_CHUNK_ELEMENTS ? List.of() : out.subList(0, 5);
                }
                g.post(i, out);
            }
            g.dead = 2;
            g.deliverAll();
            g.tick(REDUCE_DEADLINE);
            g.tick(GATHER_DEADLINE);
            for (int i = 0; i < n; i++) {
                if (i == 2) {
                    continue;
                }
                ButterflyResult r = m[i].result();
                assertEquals(List.of(2), r.missingParts(), "chunk " + chunk + " member " + i);
                assertEquals(List.of(2), r.missingContributors(), "chunk " + chunk + " member " + i);
                byte[] bytes = MemorySegment.ofArray(r.aggregate()).toArray(ValueLayout.JAVA_BYTE);
                if (reference == null) {
                    reference = bytes;
                } else {
                    assertArrayEquals(reference, bytes, "chunk " + chunk + " member " + i);
                }
            }
        }
    }

    @Test
    void shouldRejectAChunkThatDoesNotLineUpWithTheChunkGrid() {
        int n = 2;
        int length = 300;
        ButterflyMember[] m = members(n, length, Fp32Codec.INSTANCE, new Mean(), 100);
        float[] x = deltas(1, length, 1)[0];
        m[0].start(x, 0);
        // Part 0 is [0, 150) in chunks of 100: a chunk at offset 50 is off the grid.
        MemorySegment skewed = UpdateChunks.encode(Fp32Codec.INSTANCE, ChunkKind.CONTRIBUTION, RUN, ROUND, 0, 50, x,
            50, 100);
        m[0].onChunk(1, skewed, 0);
        m[0].onTick(GATHER_DEADLINE);
        assertEquals(CollectivesException.Category.PROTOCOL_VIOLATION, m[0].result().faults().get(0).category());
        assertEquals(List.of(1), m[0].result().missingContributors());
    }

    @Test
    void shouldSplitEvenlyAndCoverTheVector() {
        for (int parts = 1; parts <= 9; parts++) {
            for (int length : new int[] {0, 1, 7, 100, 1001}) {
                int next = 0;
                for (int p = 0; p < parts; p++) {
                    assertEquals(next, PartSplit.even().offset(p, parts, length));
                    int len = PartSplit.even().length(p, parts, length);
                    assertTrue(len == length / parts || len == length / parts + 1);
                    next += len;
                }
                assertEquals(length, next);
            }
        }
    }
}
