package dev.starling.collectives.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.starling.collectives.aggregate.CenteredClip;
import dev.starling.collectives.aggregate.Mean;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CenteredClipVerifierTest {
    private static final int N = 16;
    private static final int D = 300;
    private static final double TAU = 2.0;
    private static final int REDUCER = 3;
    private static final CenteredClipVerifier VERIFIER = new CenteredClipVerifier(TAU, 4, 1e-3);
    private static final CenteredClip CLIP = new CenteredClip(TAU, 500, 1e-7);

    /** 9 honest contributions around a shared direction, 7 sign-flipped attackers. */
    private static float[][] contributions(final long seed) {
        Random r = new Random(seed);
        float[] mu = new float[D];
        for (int c = 0; c < D; c++) {
            mu[c] = (float) r.nextGaussian();
        }
        float[][] x = new float[N][D];
        for (int i = 0; i < N; i++) {
            for (int c = 0; c < D; c++) {
                x[i][c] = i < 9 ? (float) (mu[c] + 0.3 * r.nextGaussian()) : -3f * mu[c];
            }
        }
        return x;
    }

    private static List<ClipProjection> publish(final float[][] x, final float[] v, final long seed) {
        List<ClipProjection> out = new ArrayList<>();
        for (float[] xi : x) {
            out.add(VERIFIER.project(xi, v, D, seed));
        }
        return out;
    }

    private static int[] roster() {
        int[] m = new int[N];
        for (int i = 0; i < N; i++) {
            m[i] = i;
        }
        return m;
    }

    @Test
    void shouldNeverAccuseAnHonestCenteredClipReducer() {
        for (long seed = 0; seed < 25; seed++) {
            float[][] x = contributions(seed);
            float[] v = new float[D];
            CLIP.aggregate(x, null, D, v);
            Verdict verdict = VERIFIER.check(publish(x, v, 1000 + seed), null);
            assertInstanceOf(Verdict.Passed.class, verdict, "seed " + seed + ": " + verdict);
        }
    }

    @Test
    void shouldCatchAReducerThatReturnsThePoisonedMean() {
        float[][] x = contributions(1);
        float[] v = new float[D];
        new Mean().aggregate(x, null, D, v);
        List<ClipProjection> published = publish(x, v, 7);
        assertInstanceOf(Verdict.NeedsAdjudication.class, VERIFIER.check(published, null));
        Verdict verdict = VERIFIER.adjudicate(REDUCER, roster(), published, x, v, D, null, 7, 1e-9);
        assertEquals(REDUCER, assertInstanceOf(Verdict.ReducerAccused.class, verdict).reducer());
    }

    @Test
    void shouldCatchAReducerThatNudgesTheAggregateSlightly() {
        float[][] x = contributions(2);
        float[] v = new float[D];
        CLIP.aggregate(x, null, D, v);
        Random r = new Random(3);
        for (int c = 0; c < D; c++) {
            v[c] += (float) (0.01 * r.nextGaussian()); // ||δ|| ≈ 0.17, under a tenth of τ
        }
        List<ClipProjection> published = publish(x, v, 8);
        assertInstanceOf(Verdict.NeedsAdjudication.class, VERIFIER.check(published, null));
        assertInstanceOf(Verdict.ReducerAccused.class,
            VERIFIER.adjudicate(REDUCER, roster(), published, x, v, D, null, 8, 1e-9));
    }

    @Test
    void shouldAccuseTheMemberNotTheReducerWhenAMemberLiesAboutItsProjection() {
        float[][] x = contributions(4);
        float[] v = new float[D];
        CLIP.aggregate(x, null, D, v);
        List<ClipProjection> published = publish(x, v, 9);
        ClipProjection honest = published.get(12);
        double[] flipped = honest.projections().clone();
        for (int k = 0; k < flipped.length; k++) {
            flipped[k] = -flipped[k] * 5;
        }
        published.set(12, new ClipProjection(flipped, honest.distance()));
        assertInstanceOf(Verdict.NeedsAdjudication.class, VERIFIER.check(published, null));
        Verdict verdict = VERIFIER.adjudicate(REDUCER, roster(), published, x, v, D, null, 9, 1e-9);
        assertEquals(List.of(12), assertInstanceOf(Verdict.MembersAccused.class, verdict).members());
    }

    @Test
    void shouldTreatMissingOrNonFinitePublicationsAsFailures() {
        float[][] x = contributions(5);
        float[] v = new float[D];
        CLIP.aggregate(x, null, D, v);
        List<ClipProjection> published = publish(x, v, 10);
        published.set(0, new ClipProjection(new double[] {Double.NaN, 0, 0, 0}, 1.0));
        assertInstanceOf(Verdict.NeedsAdjudication.class, VERIFIER.check(published, null));
        published.set(0, null);
        assertInstanceOf(Verdict.NeedsAdjudication.class, VERIFIER.check(published, null));
        assertEquals(List.of(0), assertInstanceOf(Verdict.MembersAccused.class,
            VERIFIER.adjudicate(REDUCER, roster(), published, x, v, D, null, 10, 1e-9)).members());
    }
}
