package dev.starling.collectives.attack;

import dev.starling.collectives.CollectivesException;
import java.util.Random;

/**
 * Crafts malicious updates. Pure functions of their arguments (noise comes from a seeded {@link Random}); any
 * thread. Main code rather than test code because the experiments run attacking peers for real.
 */
public final class UpdateAttacks {
    private UpdateAttacks() {
    }

    /**
     * Crafts one attacker's update.
     *
     * @param attack    which attack
     * @param own       the attacker's own honest update (used by SIGN_FLIP)
     * @param honest    the honest updates the colluding attackers observe (used by ALIE and IPM; may be empty for
     *                  the others)
     * @param scale     SIGN_FLIP's λ, GAUSSIAN_NOISE's σ, IPM's ε, ALIE's z (pass {@link #alieZ} for the paper's)
     * @param seed      noise seed
     * @return the malicious update, same length as {@code own}
     */
    public static float[] craft(final UpdateAttack attack, final float[] own, final float[][] honest,
                                final double scale, final long seed) {
        int d = own.length;
        float[] out = new float[d];
        switch (attack) {
            case SIGN_FLIP -> {
                for (int c = 0; c < d; c++) {
                    out[c] = (float) (-scale * own[c]);
                }
            }
            case GAUSSIAN_NOISE -> {
                Random random = new Random(seed);
                for (int c = 0; c < d; c++) {
                    out[c] = (float) (scale * random.nextGaussian());
                }
            }
            case ALIE -> {
                // Each coordinate moves z honest standard deviations against the sign of the honest mean, so the
                // shift opposes the descent direction instead of pointing along a fixed, gradient-blind (1, ..., 1).
                double[][] stats = meanAndStd(honest, d);
                for (int c = 0; c < d; c++) {
                    out[c] = (float) (stats[0][c] - scale * Math.signum(stats[0][c]) * stats[1][c]);
                }
            }
            case IPM -> {
                double[][] stats = meanAndStd(honest, d);
                for (int c = 0; c < d; c++) {
                    out[c] = (float) (-scale * stats[0][c]);
                }
            }
        }
        return out;
    }

    /**
     * ALIE's z: with {@code s = floor(n/2 + 1) − f} honest members the attackers need on their side,
     * {@code z = Φ⁻¹((n − s) / n)}.
     *
     * @param n group size
     * @param f attackers
     * @return z (0 when the formula leaves no room)
     */
    public static double alieZ(final int n, final int f) {
        if (n < 1 || f < 0 || f > n) {
            throw CollectivesException.internal("ALIE needs 0 <= f <= n, n >= 1; got n=" + n + " f=" + f);
        }
        int s = n / 2 + 1 - f;
        double p = (double) (n - s) / n;
        if (p <= 0.5) {
            return 0.0;
        }
        return inverseNormalCdf(Math.min(p, 1 - 1e-12));
    }

    /** Φ⁻¹(p) for p in (0.5, 1) by bisection on Φ, itself integrated with Simpson's rule. */
    static double inverseNormalCdf(final double p) {
        double lo = 0;
        double hi = 10;
        for (int i = 0; i < 80; i++) {
            double mid = (lo + hi) / 2;
            if (normalCdf(mid) < p) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return (lo + hi) / 2;
    }

    /** Φ(z) for z ≥ 0: 0.5 + (1/√(2π)) ∫₀^z e^(−t²/2) dt, composite Simpson with 2,000 intervals. */
    static double normalCdf(final double z) {
        int intervals = 2000;
        double h = z / intervals;
        double sum = 1 + StrictMath.exp(-z * z / 2);
        for (int i = 1; i < intervals; i++) {
            double t = i * h;
            sum += (i % 2 == 1 ? 4 : 2) * StrictMath.exp(-t * t / 2);
        }
        return 0.5 + sum * h / 3 / Math.sqrt(2 * Math.PI);
    }

    private static double[][] meanAndStd(final float[][] honest, final int d) {
        if (honest == null || honest.length == 0) {
            throw CollectivesException.internal("this attack needs the honest updates it imitates");
        }
        double[] mean = new double[d];
        double[] std = new double[d];
        for (float[] h : honest) {
            for (int c = 0; c < d; c++) {
                mean[c] += h[c];
            }
        }
        for (int c = 0; c < d; c++) {
            mean[c] /= honest.length;
        }
        for (float[] h : honest) {
            for (int c = 0; c < d; c++) {
                std[c] += (h[c] - mean[c]) * (h[c] - mean[c]);
            }
        }
        for (int c = 0; c < d; c++) {
            std[c] = Math.sqrt(std[c] / honest.length);
        }
        return new double[][] {mean, std};
    }
}
