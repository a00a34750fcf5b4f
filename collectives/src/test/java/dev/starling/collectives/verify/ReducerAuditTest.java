package dev.starling.collectives.verify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.collectives.aggregate.Aggregator;
import dev.starling.collectives.aggregate.CenteredClip;
import dev.starling.collectives.attack.LyingReducer;
import dev.starling.collectives.butterfly.ButterflyConfig;
import dev.starling.collectives.butterfly.ButterflyMember;
import dev.starling.collectives.butterfly.ButterflyResult;
import dev.starling.collectives.butterfly.Outgoing;
import dev.starling.collectives.butterfly.PartSplit;
import dev.starling.collectives.codec.BlockQuantCodec;
import dev.starling.collectives.codec.ErrorFeedback;
import dev.starling.collectives.codec.Fp32Codec;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Whole rounds: butterfly with int8 contributions and three sign flippers, then the audit over every message. */
class ReducerAuditTest {
    private static final int N = 8;
    private static final int LENGTH = 8 * 50;
    private static final double TAU = 0.05;
    private static final CenteredClip RULE = new CenteredClip(TAU, 500, 1e-9);
    private static final LocalAudit.Settings SETTINGS = new LocalAudit.Settings(42, 3, LENGTH, PartSplit.even(),
        new CenteredClipVerifier(TAU, 4, 1e-3), RULE, 1e-6);

    private record Message(int from, int to, Outgoing out) {
    }

    /** A finished butterfly round: every member and its result. */
    record Round(ButterflyMember[] members, ButterflyResult[] results) {
    }

    @Test
    void shouldBanNobodyWhenEveryReducerIsHonest() {
        Round r = butterfly(-1);
        LocalAudit.Report report = LocalAudit.run(SETTINGS, r.members(), r.results(), UnaryOperator.identity(),
            List.of());
        for (ReducerAudit.Outcome o : report.outcomes()) {
            assertTrue(o.banned().isEmpty(), o.banned().toString());
            assertTrue(o.reReduced().isEmpty());
            assertArrayEquals(r.results()[0].aggregate(), o.aggregate());
        }
        // Commitments (40 B) and projections (8 + 1 + 8 parts x 5 floats) to 7 others from each of 8 members.
        assertEquals(8L * 7 * (40 + 9 + 8 * 20), report.totalBytes());
    }

    @Test
    void shouldBanTheLyingReducerAndReReduceItsPartToTheHonestValue() {
        Round honest = butterfly(-1);
        Round lied = butterfly(2);
        LocalAudit.Report report = LocalAudit.run(SETTINGS, lied.members(), lied.results(),
            UnaryOperator.identity(), List.of());
        for (ReducerAudit.Outcome o : report.outcomes()) {
            assertEquals(List.of(2), List.copyOf(o.banned().keySet()));
            assertEquals(List.of(2), o.reReduced());
            // The same contributions in the same order through the same rule: the honest reducer's exact bytes.
            assertArrayEquals(honest.results()[0].aggregate(), o.aggregate());
        }
    }

    @Test
    void shouldPenaliseAFalseAccuserAndBanNobody() {
        Round r = butterfly(-1);
        LocalAudit.Report report = LocalAudit.run(SETTINGS, r.members(), r.results(), UnaryOperator.identity(),
            List.of(new AuditMessage.Accusation(6, 1), new AuditMessage.Accusation(6, 99)));
        for (int m = 0; m < N; m++) {
            ReducerAudit.Outcome o = report.outcomes()[m];
            assertTrue(o.banned().isEmpty(), o.banned().toString());
            if (m != 6) {
                assertEquals(List.of(6), o.falseAccusers());
            }
        }
    }

    @Test
    void shouldIgnoreAnAccusationOfAnUnknownPartOrFromOutsideTheRoster() {
        Round r = butterfly(-1);
        // Parts 99 and -1 do not exist; members N + 2 and -1 are not on the roster, which is where a banned peer
        // ends up (MeshAudit drops its frames before they get here; this checks the audit itself too).
        LocalAudit.Report report = LocalAudit.run(SETTINGS, r.members(), r.results(), UnaryOperator.identity(),
            List.of(new AuditMessage.Accusation(3, 99), new AuditMessage.Accusation(3, -1),
                new AuditMessage.Accusation(N + 2, 1), new AuditMessage.Accusation(-1, 2)));
        for (ReducerAudit.Outcome o : report.outcomes()) {
            assertTrue(o.banned().isEmpty(), o.banned().toString());
            assertTrue(o.falseAccusers().isEmpty(), "an ignored accusation is not even a strike");
            assertTrue(o.reReduced().isEmpty());
            assertArrayEquals(r.results()[0].aggregate(), o.aggregate());
        }
    }

    @Test
    void shouldBanAMemberThatLiesAboutItsProjectionsNotTheReducer() {
        Round r = butterfly(-1);
        UnaryOperator<AuditMessage> liar = msg -> {
            if (msg instanceof AuditMessage.Projections p && p.member() == 5) {
                ClipProjection[] forged = p.projections().clone();
                double[] s = forged[3].projections().clone();
                s[0] += 1.0;
                forged[3] = new ClipProjection(s, forged[3].distance());
                return new AuditMessage.Projections(5, forged, p.used());
            }
            return msg;
        };
        LocalAudit.Report report = LocalAudit.run(SETTINGS, r.members(), r.results(), liar, List.of());
        for (int m = 0; m < N; m++) {
            if (m != 5) {
                Map<Integer, String> banned = report.outcomes()[m].banned();
                assertEquals(List.of(5), List.copyOf(banned.keySet()), banned.toString());
                assertEquals(List.of(3), report.outcomes()[m].reReduced());
            }
        }
    }

    @Test
    void shouldBanAMemberWhoseRevealDoesNotMatchItsCommitment() {
        Round r = butterfly(2);
        UnaryOperator<AuditMessage> framer = msg -> {
            if (msg instanceof AuditMessage.Reveal rv && rv.member() == 4) {
                float[] other = rv.values().clone();
                other[0] += 1f;
                return new AuditMessage.Reveal(4, rv.part(), other, rv.partHashes());
            }
            return msg;
        };
        LocalAudit.Report report = LocalAudit.run(SETTINGS, r.members(), r.results(), framer, List.of());
        // The forger is caught; the lying reducer 2 cannot be judged this round without 4's true contribution.
        ReducerAudit.Outcome o = report.outcomes()[0];
        assertEquals(List.of(4), List.copyOf(o.banned().keySet()), o.banned().toString());
        assertNotNull(o.banned().get(4));
        assertEquals(List.of(2), o.reReduced());
    }

    @Test
    void shouldNotBanAnHonestReducerFramedByAMemberThatCommitsToAnotherContribution() {
        Round r = butterfly(-1);
        // Member 4 claims it sent other values to reducer 1: it commits to them, publishes projections that make
        // part 1 fail, and reveals them. Only reducer 1's receipt shows the dispute.
        float[][] claimed = new float[N][];
        byte[][] hashes = new byte[N][];
        for (int p = 0; p < N; p++) {
            claimed[p] = r.members()[4].sentPart(p);
            if (p == 1) {
                claimed[p][0] += 0.5f;
            }
            hashes[p] = ReducerAudit.partHash(42, 3, p, claimed[p]);
        }
        UnaryOperator<AuditMessage> framer = msg -> {
            if (msg.member() != 4) {
                return msg;
            }
            return switch (msg) {
                case AuditMessage.Commitment c -> new AuditMessage.Commitment(4, ReducerAudit.root(hashes));
                case AuditMessage.Projections p -> {
                    ClipProjection[] forged = p.projections().clone();
                    forged[1] = new ClipProjection(new double[] {3, 3, 3, 3}, forged[1].distance());
                    yield new AuditMessage.Projections(4, forged, p.used());
                }
                default -> msg;
            };
        };
        // Its own audit sees no failure, so member 4 reveals its claim unasked.
        LocalAudit.Report report = LocalAudit.run(SETTINGS, r.members(), r.results(), framer,
            List.of(new AuditMessage.Reveal(4, 1, claimed[1], hashes)));
        for (int m = 0; m < N; m++) {
            if (m == 4) {
                continue;
            }
            ReducerAudit.Outcome o = report.outcomes()[m];
            assertTrue(o.banned().isEmpty(), o.banned().toString());
            assertEquals(List.of(4), o.disputed());
            assertEquals(List.of(1), o.reReduced());
        }
    }

    /** One butterfly round; {@code liar} (or -1) reduces with a slightly shifted CenteredClip. */
    private static Round butterfly(final int liar) {
        return butterfly(liar, new LyingReducer(RULE, 0.002f));
    }

    /**
     * One round of 8 members (int8 contributions, members 5..7 sign-flipping), every reducer on CenteredClip but
     * {@code liar} (or -1), which reduces with {@code liarRule}. Shared with {@link ButterflyVerificationTest}.
     */
    static Round butterfly(final int liar, final Aggregator liarRule) {
        List<String> roster = IntStream.range(0, N).mapToObj(i -> "peer-" + i).toList();
        ButterflyMember[] m = new ButterflyMember[N];
        for (int i = 0; i < N; i++) {
            Aggregator rule = i == liar ? liarRule : RULE;
            m[i] = new ButterflyMember(new ButterflyConfig(roster, i, LENGTH, PartSplit.even(),
                BlockQuantCodec.int8(32), Fp32Codec.INSTANCE, rule, null, null, 42, 3, 100, 200),
                new ErrorFeedback(LENGTH));
        }
        Random random = new Random(8);
        ArrayDeque<Message> queue = new ArrayDeque<>();
        for (int i = 0; i < N; i++) {
            float[] delta = new float[LENGTH];
            for (int c = 0; c < LENGTH; c++) {
                delta[c] = (float) (i < 5 ? 0.01 + 0.005 * random.nextGaussian() : -0.1);
            }
            for (Outgoing o : m[i].start(delta, 0)) {
                queue.add(new Message(i, o.to(), o));
            }
        }
        while (!queue.isEmpty()) {
            Message msg = queue.poll();
            for (Outgoing o : m[msg.to()].onChunk(msg.from(), msg.out().chunk(), 0)) {
                queue.add(new Message(msg.to(), o.to(), o));
            }
        }
        ButterflyResult[] results = new ButterflyResult[N];
        for (int i = 0; i < N; i++) {
            results[i] = m[i].result();
        }
        return new Round(m, results);
    }
}
