package dev.starling.collectives.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.starling.collectives.aggregate.Aggregator;
import dev.starling.collectives.aggregate.CenteredClip;
import dev.starling.collectives.aggregate.Mean;
import dev.starling.collectives.attack.LyingReducer;
import dev.starling.collectives.butterfly.ButterflyMember;
import dev.starling.collectives.butterfly.PartSplit;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** A whole round: butterfly with int8 contributions, then every member verifies every reducer. */
class ButterflyVerificationTest {
    private static final int N = 8;
    private static final int LENGTH = 8 * 50;
    private static final double TAU = 0.05;
    private static final int LIAR = 2;

    @Test
    void shouldAccuseOnlyTheReducerThatReturnedThePoisonedMean() {
        runAndVerify(new Mean());
    }

    @Test
    void shouldAccuseOnlyTheReducerThatShiftedItsCenteredClipResultSlightly() {
        // 0.002 a coordinate: ||shift|| = 0.014 on a 50-element part, under a third of tau.
        runAndVerify(new LyingReducer(new CenteredClip(TAU, 500, 1e-9), 0.002f));
    }

    private static void runAndVerify(final Aggregator liarRule) {
        ButterflyMember[] m = ReducerAuditTest.butterfly(LIAR, liarRule).members();
        CenteredClipVerifier verifier = new CenteredClipVerifier(TAU, 4, 1e-3);
        float[] aggregate = m[0].result().aggregate();
        int[] members = IntStream.range(0, N).toArray();
        for (int part = 0; part < N; part++) {
            int offset = PartSplit.even().offset(part, N, LENGTH);
            int len = PartSplit.even().length(part, N, LENGTH);
            float[] v = java.util.Arrays.copyOfRange(aggregate, offset, offset + len);
            long seed = SharedSeed.forPart(42, 3, part, aggregate, offset, len);
            List<ClipProjection> published = new ArrayList<>();
            float[][] revealed = new float[N][];
            for (int i = 0; i < N; i++) {
                revealed[i] = m[i].sentPart(part);
                published.add(verifier.project(revealed[i], v, len, seed));
            }
            Verdict verdict = verifier.check(published, null);
            if (part != LIAR) {
                assertInstanceOf(Verdict.Passed.class, verdict, "part " + part + ": " + verdict);
            } else {
                assertInstanceOf(Verdict.NeedsAdjudication.class, verdict);
                Verdict ruling = verifier.adjudicate(part, members, published, revealed, v, len, null, seed, 1e-9);
                assertEquals(LIAR, assertInstanceOf(Verdict.ReducerAccused.class, ruling).reducer());
            }
        }
    }
}
