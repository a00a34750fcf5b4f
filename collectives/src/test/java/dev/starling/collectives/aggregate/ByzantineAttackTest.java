package dev.starling.collectives.aggregate;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.collectives.attack.UpdateAttack;
import dev.starling.collectives.attack.UpdateAttacks;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * 16 contributions to one 512-element part, 7 of them malicious (BTARD's setting). Attacks: sign flip (each
 * attacker sends the negation of an honest update), Gaussian noise (N(0, 20^2) per coordinate), ALIE (all send
 * honestMean - z * sign(honestMean) * honestStd per coordinate) and IPM (all send -2 * honestMean). Honest
 * updates share a
 * direction mu ~ N(0, 1) per coordinate plus N(0, 0.5^2) noise each. Distances are RMS per coordinate
 * ({@code ||agg - honestMean|| / sqrt(d)}), so 0.5 is one honest noise standard deviation.
 */
class ByzantineAttackTest {
    static final int N = 16;
    static final int F = 7;
    static final int D = 512;
    static final double SIGMA = 0.5;
    /** ALIE's z for n = 16, f = 7: s = floor(n/2 + 1) - f = 2, z = Phi^-1((n - s) / n) = Phi^-1(0.875). */
    static final double ALIE_Z = UpdateAttacks.alieZ(N, F);

    enum Attack { SIGN_FLIP, GAUSSIAN_NOISE, ALIE, IPM }

    private static final Map<String, Map<Attack, double[]>> RESULTS = new LinkedHashMap<>();
    private static float[] honestMean;

    static Map<String, Aggregator> aggregators() {
        Map<String, Aggregator> m = new LinkedHashMap<>();
        m.put("mean", new Mean());
        m.put("median", new CoordinateMedian());
        m.put("trimmed", new TrimmedMean(F));
        m.put("krum", new Krum(F, 1));
        m.put("multi-krum", new Krum(F, 4));
        m.put("centered-clip", new CenteredClip(3.0, 100, 1e-6));
        return m;
    }

    /** Contributions: 9 honest first, then 7 attackers. */
    static float[][] contributions(final Attack attack, final int f, final long seed) {
        Random r = new Random(seed);
        float[] mu = new float[D];
        for (int c = 0; c < D; c++) {
            mu[c] = (float) r.nextGaussian();
        }
        int honest = N - f;
        float[][] x = new float[N][D];
        for (int i = 0; i < honest; i++) {
            for (int c = 0; c < D; c++) {
                x[i][c] = (float) (mu[c] + SIGMA * r.nextGaussian());
            }
        }
        float[][] honestRows = java.util.Arrays.copyOf(x, honest);
        float[] mean = new float[D];
        for (float[] h : honestRows) {
            for (int c = 0; c < D; c++) {
                mean[c] += h[c] / honest;
            }
        }
        honestMean = mean;
        for (int j = 0; j < f; j++) {
            UpdateAttack kind = switch (attack) {
                case SIGN_FLIP -> UpdateAttack.SIGN_FLIP;
                case GAUSSIAN_NOISE -> UpdateAttack.GAUSSIAN_NOISE;
                case ALIE -> UpdateAttack.ALIE;
                case IPM -> UpdateAttack.IPM;
            };
            double scale = switch (attack) {
                case SIGN_FLIP -> 1.0;
                case GAUSSIAN_NOISE -> 20.0;
                case ALIE -> ALIE_Z;
                case IPM -> 2.0;
            };
            x[honest + j] = UpdateAttacks.craft(kind, x[j % honest], honestRows, scale, seed * 31 + j);
        }
        return x;
    }

    static double rmsDistance(final float[] a, final float[] b) {
        double s = 0;
        for (int c = 0; c < D; c++) {
            s += ((double) a[c] - b[c]) * ((double) a[c] - b[c]);
        }
        return Math.sqrt(s / D);
    }

    static double cosine(final float[] a, final float[] b) {
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int c = 0; c < D; c++) {
            ab += (double) a[c] * b[c];
            aa += (double) a[c] * a[c];
            bb += (double) b[c] * b[c];
        }
        return ab / Math.sqrt(aa * bb);
    }

    @BeforeAll
    static void runAllAttacks() {
        for (Map.Entry<String, Aggregator> e : aggregators().entrySet()) {
            Map<Attack, double[]> row = new LinkedHashMap<>();
            for (Attack attack : Attack.values()) {
                float[][] x = contributions(attack, F, 1234);
                float[] out = new float[D];
                e.getValue().aggregate(x, null, D, out);
                row.put(attack, new double[] {rmsDistance(out, honestMean), cosine(out, honestMean)});
            }
            RESULTS.put(e.getKey(), row);
        }
        StringBuilder sb = new StringBuilder("RMS distance to the honest mean (cosine), 7 of 16 malicious:\n");
        sb.append(String.format("%-14s", "aggregator"));
        for (Attack a : Attack.values()) {
            sb.append(String.format("%22s", a));
        }
        sb.append('\n');
        for (Map.Entry<String, Map<Attack, double[]>> e : RESULTS.entrySet()) {
            sb.append(String.format("%-14s", e.getKey()));
            for (double[] v : e.getValue().values()) {
                sb.append(String.format("%14.3f (%+.2f)", v[0], v[1]));
            }
            sb.append('\n');
        }
        System.out.print(sb);
    }

    private static double distance(final String aggregator, final Attack attack) {
        return RESULTS.get(aggregator).get(attack)[0];
    }

    private static double cos(final String aggregator, final Attack attack) {
        return RESULTS.get(aggregator).get(attack)[1];
    }

    @Test
    void shouldPullTheMeanFarFromTheHonestMean() {
        assertTrue(distance("mean", Attack.SIGN_FLIP) > 0.8, "sign flip moves the mean ~0.875");
        assertTrue(distance("mean", Attack.GAUSSIAN_NOISE) > 2.5, "noise moves the mean ~7/16*20/sqrt(7)");
        assertTrue(cos("mean", Attack.IPM) < 0, "IPM turns the mean against the honest direction");
    }

    @Test
    void shouldKeepCenteredClipCloseAndAlignedUnderSignFlipNoiseAndIpm() {
        // With 7 of 16 attackers each may pull the center by tau while 9 honest pull back, so CenteredClip keeps a
        // bias of about f/(n-f) of the honest spread (here ~0.5 RMS) but never turns, whatever the attack's size.
        for (Attack a : new Attack[] {Attack.SIGN_FLIP, Attack.GAUSSIAN_NOISE, Attack.IPM}) {
            assertTrue(distance("centered-clip", a) < 0.6, a + ": " + distance("centered-clip", a));
            assertTrue(distance("centered-clip", a) < 0.7 * distance("mean", a), a + " against mean");
            assertTrue(cos("centered-clip", a) > 0.95, a + ": cos " + cos("centered-clip", a));
        }
    }

    @Test
    void shouldKeepCoordinateRulesAndKrumBoundedWhereTheMeanIsNot() {
        for (String name : new String[] {"median", "trimmed", "krum", "multi-krum"}) {
            for (Attack a : new Attack[] {Attack.SIGN_FLIP, Attack.GAUSSIAN_NOISE, Attack.IPM}) {
                assertTrue(distance(name, a) < 0.65, name + " under " + a + ": " + distance(name, a));
                assertTrue(distance(name, a) < 0.7 * distance("mean", a), name + " vs mean under " + a);
                assertTrue(cos(name, a) > 0.8, name + " under " + a + ": cos " + cos(name, a));
            }
        }
    }

    @Test
    void shouldBoundAlieShiftByItsZTimesSigmaForEveryRobustRule() {
        // ALIE is built to sit inside the honest spread: no rule removes it, and it moves the mean only by
        // f/n * z * sigma. What robust rules must guarantee is that it cannot move them further than z * sigma.
        for (String name : RESULTS.keySet()) {
            assertTrue(distance(name, Attack.ALIE) < ALIE_Z * SIGMA * 1.05, name + ": " + distance(name,
                Attack.ALIE));
            assertTrue(cos(name, Attack.ALIE) > 0.8, name + ": cos " + cos(name, Attack.ALIE));
        }
    }

    @Test
    void shouldKeepBucketedClipCloseWhenFewAttackersAndUseWeights() {
        // Bucketing in pairs needs f * s < n / 2: at 7 of 16 most buckets would hold an attacker, so it is tested
        // at 3 of 16, where it must do no worse than plain CenteredClip's bound.
        Aggregator bucketed = new Bucketing(new CenteredClip(3.0, 100, 1e-6), 2, 99);
        for (Attack a : Attack.values()) {
            float[][] x = contributions(a, 3, 77);
            float[] out = new float[D];
            bucketed.aggregate(x, null, D, out);
            assertTrue(rmsDistance(out, honestMean) < 0.3, a + ": " + rmsDistance(out, honestMean));
        }
        // Weights: zero weight on every attacker makes the weighted mean the honest mean.
        float[][] x = contributions(Attack.IPM, F, 5);
        double[] w = new double[N];
        java.util.Arrays.fill(w, 0, N - F, 1.0);
        float[] out = new float[D];
        new Mean().aggregate(x, w, D, out);
        assertTrue(rmsDistance(out, honestMean) < 1e-6);
    }
}
