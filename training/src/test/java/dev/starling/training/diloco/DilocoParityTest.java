package dev.starling.training.diloco;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.collectives.aggregate.Aggregator;
import dev.starling.collectives.aggregate.CenteredClip;
import dev.starling.collectives.aggregate.Mean;
import dev.starling.collectives.codec.BlockQuantCodec;
import dev.starling.collectives.codec.Fp32Codec;
import dev.starling.collectives.codec.TopKCodec;
import dev.starling.collectives.codec.UpdateCodec;
import dev.starling.optimizer.outer.OuterNesterovConfig;
import dev.starling.tensor.cpu.ParallelFor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class DilocoParityTest {
    private static ParallelFor pool;

    @BeforeAll
    static void startPool() {
        pool = new ParallelFor(1);
    }

    @AfterAll
    static void stopPool() {
        pool.close();
    }

    private static List<DilocoPeer> peers(final int n, final OuterConfig outer) {
        List<DilocoPeer> peers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            peers.add(new DilocoPeer(i, TinyRun.train(2, 40), outer, TinyRun.DATA, pool, TinyRun.RUN_ID));
        }
        return peers;
    }

    private static void closeAll(final List<DilocoPeer> peers) {
        peers.forEach(DilocoPeer::close);
    }

    static Stream<Arguments> codecs() {
        return Stream.of(
            Arguments.of("fp32", Fp32Codec.INSTANCE, Fp32Codec.INSTANCE),
            Arguments.of("int8", BlockQuantCodec.int8(64), BlockQuantCodec.int8(64)),
            Arguments.of("int4", BlockQuantCodec.int4(64), BlockQuantCodec.int4(64)),
            Arguments.of("top-k", new TopKCodec(0.05), new TopKCodec(0.15)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("codecs")
    void shouldKeepEveryPeerBitIdenticalAfterEveryRound(final String name, final UpdateCodec codec,
                                                        final UpdateCodec aggregateCodec) {
        List<DilocoPeer> peers = peers(3, TinyRun.outer(3, codec, aggregateCodec, new Mean()));
        try {
            String initial = peers.getFirst().globalHash();
            DilocoGroup group = new DilocoGroup(peers, new InProcessExchange(1_000_000));
            for (int r = 0; r < 3; r++) {
                DilocoGroup.RoundReport report = group.round();
                assertEquals(3, report.hashes().size(), name);
                assertTrue(report.inParity(), name + " round " + r + ": " + report.hashes());
                assertEquals(0, report.faults(), name);
                for (DilocoPeer p : peers) {
                    assertArrayEquals(p.thetaGlobal(), p.model().parameters().data(), "θ_local ← θ_global");
                    assertEquals(3 * (r + 1), p.innerSteps(), "the schedule follows the global inner step");
                }
            }
            assertNotEquals(initial, peers.getFirst().globalHash(), "the outer steps moved θ_global");
            assertTrue(group.bytesSent()[0] > 0);
        } finally {
            closeAll(peers);
        }
    }

    @Test
    void shouldEqualLocalModelForOnePeerWithUnitOuterLearningRateAndNoMomentum() {
        OuterConfig outer = new OuterConfig(4, new OuterNesterovConfig(1f, 0f), null, Fp32Codec.INSTANCE,
            Fp32Codec.INSTANCE, new Mean(), false);
        List<DilocoPeer> alone = peers(1, outer);
        List<DilocoPeer> twin = peers(1, outer);
        try {
            // The same peer twice (same seeds): one only trains, the other trains and takes the outer step.
            float[] before = alone.getFirst().thetaGlobal().clone();
            alone.getFirst().innerPhase();
            float[] local = alone.getFirst().model().parameters().data();
            DilocoGroup group = new DilocoGroup(twin, new InProcessExchange(1_000_000));
            group.round();
            float[] global = twin.getFirst().thetaGlobal();
            double moved = 0;
            for (int i = 0; i < local.length; i++) {
                assertEquals(local[i], global[i], 1e-6f, "element " + i);
                moved += Math.abs(local[i] - before[i]);
            }
            assertTrue(moved > 0, "the inner steps changed the model");
            assertEquals(0, group.bytesSent()[0], "a group of one sends nothing");
        } finally {
            closeAll(alone);
            closeAll(twin);
        }
    }

    @Test
    void shouldFinishTheRoundWithoutAPeerThatDiesMidRound() {
        List<DilocoPeer> peers = peers(4, TinyRun.outer(2, BlockQuantCodec.int8(64), BlockQuantCodec.int8(64),
            new Mean()));
        try {
            InProcessExchange exchange = new InProcessExchange(1_000_000);
            DilocoGroup group = new DilocoGroup(peers, exchange);
            assertTrue(group.round().inParity());
            // Peer 2 sends two of its three contributions, then dies before reducing its part.
            exchange.crashAfter(2, 2);
            DilocoGroup.RoundReport report = group.round();
            assertEquals(List.of("peer-2"), report.dropped());
            assertEquals(3, report.hashes().size());
            assertTrue(report.inParity(), "survivors agree: " + report.hashes());
            assertTrue(report.faults() > 0, "the survivors report part 2 missing");
            assertEquals(2_000_000, exchange.nowNanos(), "the round waited for the gather deadline");
            DilocoGroup.RoundReport next = group.round();
            assertEquals(3, next.hashes().size(), "the dead peer is out of later rounds");
            assertTrue(next.inParity());
            assertEquals(0, next.faults());
        } finally {
            closeAll(peers);
        }
    }

    @Test
    void shouldKeepParityAndResistASignFlipAttackerUnderCenteredClip() {
        float[] clean = runWithAttacker(new Mean(), p -> { });
        float[] plain = runWithAttacker(new Mean(), p -> p.scaleUpdates(-4f));
        float[] clipped = runWithAttacker(new CenteredClip(5e-3, 50, 1e-9), p -> p.scaleUpdates(-4f));
        double plainError = distance(plain, clean);
        double clippedError = distance(clipped, clean);
        assertTrue(clippedError < 0.5 * plainError, "CenteredClip " + clippedError + " vs mean " + plainError);
    }

    private static float[] runWithAttacker(final Aggregator aggregator, final Consumer<DilocoPeer> attacker) {
        List<DilocoPeer> peers = peers(4, TinyRun.outer(3, Fp32Codec.INSTANCE, Fp32Codec.INSTANCE, aggregator));
        try {
            attacker.accept(peers.get(3));
            DilocoGroup group = new DilocoGroup(peers, new InProcessExchange(1_000_000));
            for (int r = 0; r < 2; r++) {
                DilocoGroup.RoundReport report = group.round();
                assertEquals(4, report.hashes().size());
                assertTrue(report.inParity(), aggregator.name() + ": " + report.hashes());
            }
            return peers.getFirst().thetaGlobal().clone();
        } finally {
            closeAll(peers);
        }
    }

    private static double distance(final float[] a, final float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            s += d * d;
        }
        return Math.sqrt(s);
    }

    @Test
    void shouldApplyCo2UpdatesOneRoundLateWithoutDiscardingInnerProgress() {
        List<DilocoPeer> peers = peers(3, TinyRun.co2(3, BlockQuantCodec.int8(64)));
        try {
            DilocoGroup group = new DilocoGroup(peers, new InProcessExchange(1_000_000));
            String initial = peers.getFirst().globalHash();
            float[] localBefore = peers.getFirst().model().parameters().data().clone();
            DilocoGroup.RoundReport first = group.round();
            assertTrue(first.inParity());
            assertEquals(initial, first.hashes().getFirst(), "round 0's aggregate is not applied yet");
            assertNotEquals(StateHash.of(localBefore), StateHash.of(peers.getFirst().model().parameters().data()),
                "the local model keeps its inner progress");
            DilocoGroup.RoundReport second = group.round();
            assertTrue(second.inParity());
            assertNotEquals(initial, second.hashes().getFirst(), "round 0's aggregate lands in round 1");
            String beforeFlush = peers.getFirst().globalHash();
            group.flush();
            assertNotEquals(beforeFlush, peers.getFirst().globalHash(), "flush applies round 1's aggregate");
            assertEquals(1, peers.stream().map(DilocoPeer::globalHash).distinct().count());
        } finally {
            closeAll(peers);
        }
    }
}
