package dev.starling.collectives.butterfly;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.collectives.aggregate.Mean;
import dev.starling.collectives.codec.BlockQuantCodec;
import dev.starling.collectives.codec.ChunkKind;
import dev.starling.collectives.codec.ErrorFeedback;
import dev.starling.collectives.codec.Fp32Codec;
import dev.starling.collectives.codec.UpdateChunks;
import dev.starling.collectives.codec.UpdateCodec;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Random;
import java.util.function.BiPredicate;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** A reducer dies mid-round: its part is taken over by a substitute and every survivor ends with the same bytes. */
class ButterflyTakeoverTest {
    private static final long RUN = 0xFA11L;
    private static final long ROUND = 3;
    private static final long REDUCE = 1_000;
    private static final long GATHER = 2_000;
    private static final long TAKEOVER = 1_500;

    private record Message(int from, int to, MemorySegment chunk) {
    }

    /** Members wired in memory, delivering in FIFO order; dead members neither receive nor send. */
    private static final class Wire {
        final ButterflyMember[] members;
        final boolean[] dead;
        final ArrayDeque<Message> queue = new ArrayDeque<>();
        BiPredicate<Integer, Integer> drop = (from, to) -> false;

        Wire(final ButterflyMember[] members) {
            this.members = members;
            this.dead = new boolean[members.length];
        }

        void post(final int from, final List<Outgoing> out) {
            for (Outgoing o : out) {
                if (!dead[from] && !drop.test(from, o.to())) {
                    queue.add(new Message(from, o.to(), o.chunk()));
                }
            }
        }

        void run(final long now) {
            while (!queue.isEmpty()) {
                Message m = queue.poll();
                if (!dead[m.to()] && !dead[m.from()]) {
                    post(m.to(), members[m.to()].onChunk(m.from(), m.chunk(), now));
                }
            }
        }

        /** The member dies; every survivor's transport notices the closed connection. */
        void kill(final int member, final long now) {
            dead[member] = true;
            for (int i = 0; i < members.length; i++) {
                if (!dead[i]) {
                    post(i, members[i].onPeerLost(member, now));
                }
            }
            run(now);
        }

        void tick(final long now) {
            for (int i = 0; i < members.length; i++) {
                if (!dead[i]) {
                    post(i, members[i].onTick(now));
                }
            }
            run(now);
        }
    }

    private static ButterflyMember[] members(final int n, final int length, final UpdateCodec codec,
                                             final int chunkElements) {
        List<String> roster = IntStream.range(0, n).mapToObj(i -> "peer-" + i).toList();
        ButterflyMember[] m = new ButterflyMember[n];
        for (int i = 0; i < n; i++) {
            m[i] = new ButterflyMember(new ButterflyConfig(roster, i, length, PartSplit.even(), codec,
                Fp32Codec.INSTANCE, new Mean(), null, null, RUN, ROUND, REDUCE, GATHER, chunkElements),
                new ErrorFeedback(length));
        }
        return m;
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

    /** Every survivor is done, holds every part, and all hold the same bytes; returns them. */
    private static float[] identicalAcrossSurvivors(final Wire w) {
        byte[] reference = null;
        float[] first = null;
        for (int i = 0; i < w.members.length; i++) {
            if (w.dead[i]) {
                continue;
            }
            assertEquals(ButterflyMember.Phase.DONE, w.members[i].phase(), "member " + i);
            ButterflyResult r = w.members[i].result();
            assertEquals(List.of(), r.missingParts(), "member " + i);
            byte[] bytes = MemorySegment.ofArray(r.aggregate()).toArray(ValueLayout.JAVA_BYTE);
            if (reference == null) {
                reference = bytes;
                first = r.aggregate();
            } else {
                assertArrayEquals(reference, bytes, "member " + i + " differs");
            }
        }
        return first;
    }

    private static void assertMeanOf(final float[] aggregate, final float[][] d, final int from, final int to,
                                     final List<Integer> who) {
        for (int c = from; c < to; c++) {
            double mean = 0;
            for (int m : who) {
                mean += d[m][c];
            }
            assertEquals(mean / who.size(), aggregate[c], 1e-7, "element " + c);
        }
    }

    @Test
    void shouldReReduceTheDeadReducersPartFromTheSurvivorsWithoutWaitingForADeadline() {
        int n = 5;
        int length = 1003;
        float[][] d = deltas(n, length, 1);
        ButterflyMember[] m = members(n, length, Fp32Codec.INSTANCE, 37);
        Wire w = new Wire(m);
        // Member 3 sends its contributions, then is killed before it can reduce its part.
        w.drop = (from, to) -> to == 3;
        for (int i = 0; i < n; i++) {
            w.post(i, m[i].start(d[i], 0));
        }
        w.run(0);
        for (int i = 0; i < n; i++) {
            assertTrue(m[i].phase() != ButterflyMember.Phase.DONE, "nobody is done while part 3 is out");
        }
        w.kill(3, 10);
        float[] aggregate = identicalAcrossSurvivors(w);
        PartSplit split = PartSplit.even();
        int part3 = split.offset(3, n, length);
        // Parts 0, 1, 2, 4 include member 3's contribution (it arrived); part 3 was re-reduced by member 4 from
        // the four survivors' contributions, which each still held.
        assertMeanOf(aggregate, d, 0, part3, List.of(0, 1, 2, 3, 4));
        assertMeanOf(aggregate, d, part3, part3 + split.length(3, n, length), List.of(0, 1, 2, 4));
        for (int i : new int[] {0, 1, 2, 4}) {
            assertEquals(4, m[i].partSource(3), "member " + i);
            assertEquals(0, m[i].partSource(0), "member " + i);
        }
    }

    @Test
    void shouldTakeOverAPartWhoseReducerSentNothingByTheTakeoverTime() {
        int n = 4;
        int length = 801;
        float[][] d = deltas(n, length, 2);
        ButterflyMember[] m = members(n, length, BlockQuantCodec.int8(64), 64);
        Wire w = new Wire(m);
        // Member 1 hangs without closing its connection: it never starts, nobody is told it died.
        w.dead[1] = true;
        for (int i : new int[] {0, 2, 3}) {
            w.post(i, m[i].start(d[i], 0));
        }
        w.run(0);
        w.tick(REDUCE);
        for (int i : new int[] {0, 2, 3}) {
            assertEquals(ButterflyMember.Phase.GATHERING, m[i].phase(), "member " + i);
        }
        w.tick(TAKEOVER);
        float[] aggregate = identicalAcrossSurvivors(w);
        assertEquals(2, m[0].partSource(1));
        PartSplit split = PartSplit.even();
        float[] mean = new float[length];
        for (int c = 0; c < length; c++) {
            mean[c] = (d[0][c] + d[2][c] + d[3][c]) / 3f;
        }
        for (int c = 0; c < length; c++) {
            assertEquals(mean[c], aggregate[c], 2e-4, "element " + c); // int8 contributions
        }
        assertEquals(split.length(1, n, length), split.length(1, n, length));
    }

    @Test
    void shouldRelayTheDeadReducersOwnBytesWhenTheSubstituteAlreadyHoldsThem() {
        int n = 4;
        int length = 400;
        float[][] d = deltas(n, length, 3);
        ButterflyMember[] m = members(n, length, Fp32Codec.INSTANCE, 50);
        Wire w = new Wire(m);
        // Reducer 2 reaches only member 3 (its substitute) with its aggregate before it dies.
        w.drop = (from, to) -> from == 2 && to != 3 && m[2].phase() != ButterflyMember.Phase.REDUCING;
        for (int i = 0; i < n; i++) {
            w.post(i, m[i].start(d[i], 0));
        }
        w.run(0);
        assertEquals(ButterflyMember.Phase.DONE, m[3].phase(), "member 3 holds every part, reducer 2's included");
        float[] fromReducer = m[3].result().aggregate().clone();
        w.kill(2, 20);
        float[] aggregate = identicalAcrossSurvivors(w);
        assertArrayEquals(fromReducer, aggregate, "the survivors took reducer 2's own bytes, relayed by member 3");
        assertEquals(3, m[0].partSource(2));
        assertEquals(2, m[3].partSource(2));
        // Asking again gets the part once more (a request that crossed the relay), then nothing: no amplification.
        MemorySegment ask = UpdateChunks.encode(Fp32Codec.INSTANCE, ChunkKind.CONTRIBUTION, RUN, ROUND, 2,
            PartSplit.even().offset(2, n, length), d[0], PartSplit.even().offset(2, n, length), 50);
        assertEquals(PartSplit.even().length(2, n, length) / 50, m[3].onChunk(0, ask, 30).size());
        assertEquals(List.of(), m[3].onChunk(0, ask, 31));
    }

    @Test
    void shouldMoveOnToTheNextSubstituteWhenTheFirstOneDiesToo() {
        int n = 5;
        int length = 999;
        float[][] d = deltas(n, length, 4);
        ButterflyMember[] m = members(n, length, Fp32Codec.INSTANCE, 100);
        Wire w = new Wire(m);
        w.drop = (from, to) -> to == 1 || to == 2;
        for (int i = 0; i < n; i++) {
            w.post(i, m[i].start(d[i], 0));
        }
        w.run(0);
        w.kill(1, 10); // part 1 goes to member 2, which is about to die as well
        w.kill(2, 11); // parts 1 and 2 go to member 3
        float[] aggregate = identicalAcrossSurvivors(w);
        PartSplit split = PartSplit.even();
        int from = split.offset(1, n, length);
        int to = split.offset(3, n, length);
        assertMeanOf(aggregate, d, from, to, List.of(0, 3, 4));
        for (int i : new int[] {0, 3, 4}) {
            assertEquals(3, m[i].partSource(1), "member " + i);
            assertEquals(3, m[i].partSource(2), "member " + i);
        }
    }

    @Test
    void shouldNotReplaceAReducerWhosePartIsStillArrivingAtTheTakeoverTime() {
        int n = 3;
        int length = 300;
        float[][] d = deltas(n, length, 5);
        ButterflyMember[] m = members(n, length, Fp32Codec.INSTANCE, 20);
        Wire w = new Wire(m);
        // Reducer 0 gets its first aggregate chunk out to each member, then its link stalls (not closed).
        int[] sentAfterReduce = new int[n];
        w.drop = (from, to) -> from == 0 && m[0].phase() != ButterflyMember.Phase.REDUCING
            && ++sentAfterReduce[to] > 1;
        for (int i = 0; i < n; i++) {
            w.post(i, m[i].start(d[i], 0));
        }
        w.run(0);
        w.tick(TAKEOVER);
        for (int i = 1; i < n; i++) {
            assertEquals(ButterflyMember.Phase.GATHERING, m[i].phase(), "part 0 is arriving: no takeover");
        }
        w.tick(GATHER);
        for (int i = 1; i < n; i++) {
            assertEquals(List.of(0), m[i].result().missingParts());
        }
        assertArrayEquals(m[1].result().aggregate(), m[2].result().aggregate());
    }
}
