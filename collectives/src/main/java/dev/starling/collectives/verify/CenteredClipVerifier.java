package dev.starling.collectives.verify;

import dev.starling.collectives.CollectivesException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Cheap verification of a CenteredClip reducer, after BTARD (Gorbunov et al. 2022). An honest reducer returns a
 * fixed point {@code v} of CenteredClip: {@code Σ_i w_i · clip_τ(x_i − v) = 0}. No single member can check that
 * (each knows only its own {@code x_i}), but projections can: every member publishes
 * {@code s_ik = <z_k, clip_τ(x_i − v)>} for K random directions {@code z_k} drawn from a seed the group fixes after
 * the contributions are committed, and everyone checks {@code |Σ_i w_i s_ik| ≤ ε · Σ_i w_i min(τ, ||x_i − v||)}.
 * A reducer that moved {@code v} by δ breaks the sum by about {@code ||δ||} on each projection.
 *
 * <p>When the check fails, the members reveal their contributions (already committed by hash, so they cannot
 * change them) and {@link #adjudicate} finds out who lied: a member whose published projection disagrees with
 * its revealed contribution, or else the reducer. An honest reducer is never accused by a lying member, because
 * adjudication uses recomputed, not published, values.
 *
 * <p>Directions come from {@link java.util.Random}, whose sequence the JDK specifies, so every member draws the same
 * ones. Immutable; any thread.
 */
public final class CenteredClipVerifier {
    private final double tau;
    private final int projections;
    private final double relativeTolerance;

    /**
     * Creates a verifier.
     *
     * @param tau               the τ the reducer was told to use
     * @param projections       K random directions, ≥ 1
     * @param relativeTolerance ε, the allowed residual relative to the clipped scale (covers float rounding and
     *                          CenteredClip's finite iterations; 1e-3 suits float32 parts with converged clipping)
     */
    public CenteredClipVerifier(final double tau, final int projections, final double relativeTolerance) {
        if (!(tau > 0) || projections < 1 || !(relativeTolerance > 0)) {
            throw CollectivesException.internal("verifier needs tau > 0, projections >= 1, tolerance > 0; got tau="
                + tau + " projections=" + projections + " tolerance=" + relativeTolerance);
        }
        this.tau = tau;
        this.projections = projections;
        this.relativeTolerance = relativeTolerance;
    }

    /**
     * The k-th shared random direction for a part, N(0, 1) per element.
     *
     * @param seed   the round's shared seed for this part
     * @param k      direction index
     * @param length part length
     * @return the direction
     */
    static double[] direction(final long seed, final int k, final int length) {
        Random random = new Random(seed * 0x9E3779B97F4A7C15L + k);
        double[] z = new double[length];
        for (int c = 0; c < length; c++) {
            z[c] = random.nextGaussian();
        }
        return z;
    }

    /**
     * What a member publishes for one part.
     *
     * @param contribution the member's contribution as the reducer decoded it
     * @param aggregate    the part's aggregate as received in the all-gather
     * @param length       part length
     * @param seed         the part's shared seed
     * @return the projections and the distance
     */
    public ClipProjection project(final float[] contribution, final float[] aggregate, final int length,
                                  final long seed) {
        double squared = 0;
        for (int c = 0; c < length; c++) {
            double d = (double) contribution[c] - aggregate[c];
            squared += d * d;
        }
        double distance = Math.sqrt(squared);
        double clip = distance <= tau ? 1.0 : tau / distance;
        double[] s = new double[projections];
        for (int k = 0; k < projections; k++) {
            double[] z = direction(seed, k, length);
            double dot = 0;
            for (int c = 0; c < length; c++) {
                dot += z[c] * ((double) contribution[c] - aggregate[c]);
            }
            s[k] = clip * dot;
        }
        return new ClipProjection(s, distance);
    }

    /**
     * Checks the published projections of every contributor the reducer used.
     *
     * @param published one per contributor, in roster order of the contributors used
     * @param weights   their weights (normalized here), or {@code null} for equal
     * @return {@link Verdict.Passed} or {@link Verdict.NeedsAdjudication}
     */
    public Verdict check(final List<ClipProjection> published, final double[] weights) {
        double[] residualAndBound = residual(published, weights);
        return residualAndBound[0] <= residualAndBound[1]
            ? new Verdict.Passed(residualAndBound[0], residualAndBound[1])
            : new Verdict.NeedsAdjudication(residualAndBound[0], residualAndBound[1]);
    }

    /**
     * Decides who lied after a failed {@link #check}, from the revealed contributions.
     *
     * @param reducer       the reducer's roster index
     * @param members       roster index of each contributor, same order as {@code published}
     * @param published     what each contributor published
     * @param revealed      each contributor's revealed contribution
     * @param aggregate     the reducer's aggregate
     * @param length        part length
     * @param weights       contributor weights, or {@code null}
     * @param seed          the part's shared seed
     * @param memberEpsilon how far a published value may differ from the recomputed one (rounding), relative to
     *                      {@code max(1, |value|)}
     * @return {@link Verdict.MembersAccused}, {@link Verdict.ReducerAccused} or {@link Verdict.Passed}
     */
    public Verdict adjudicate(final int reducer, final int[] members, final List<ClipProjection> published,
                              final float[][] revealed, final float[] aggregate, final int length,
                              final double[] weights, final long seed, final double memberEpsilon) {
        if (members.length != published.size() || revealed.length != published.size()) {
            throw CollectivesException.internal(members.length + " members, " + published.size()
                + " projections, " + revealed.length + " contributions");
        }
        List<ClipProjection> truth = new ArrayList<>();
        List<Integer> liars = new ArrayList<>();
        for (int i = 0; i < members.length; i++) {
            ClipProjection recomputed = project(revealed[i], aggregate, length, seed);
            truth.add(recomputed);
            if (!agrees(published.get(i), recomputed, memberEpsilon)) {
                liars.add(members[i]);
            }
        }
        double[] rb = residual(truth, weights);
        if (rb[0] > rb[1]) {
            return new Verdict.ReducerAccused(reducer, rb[0], rb[1]);
        }
        return liars.isEmpty() ? new Verdict.Passed(rb[0], rb[1]) : new Verdict.MembersAccused(List.copyOf(liars));
    }

    private boolean agrees(final ClipProjection a, final ClipProjection b, final double eps) {
        if (a == null || a.projections() == null || a.projections().length != projections
            || !close(a.distance(), b.distance(), eps)) {
            return false;
        }
        for (int k = 0; k < projections; k++) {
            if (!close(a.projections()[k], b.projections()[k], eps)) {
                return false;
            }
        }
        return true;
    }

    private static boolean close(final double a, final double b, final double eps) {
        return Double.isFinite(a) && Math.abs(a - b) <= eps * Math.max(1.0, Math.abs(b));
    }

    /** {max_k |Σ w_i s_ik|, ε · Σ w_i min(τ, d_i)}; malformed entries make the residual infinite. */
    private double[] residual(final List<ClipProjection> published, final double[] weights) {
        int n = published.size();
        if (n == 0 || (weights != null && weights.length != n)) {
            throw CollectivesException.internal(n + " projections with " + (weights == null ? 0 : weights.length)
                + " weights");
        }
        double total = 0;
        for (int i = 0; i < n; i++) {
            total += weights == null ? 1.0 : weights[i];
        }
        double scale = 0;
        double worst = 0;
        double[] sums = new double[projections];
        for (int i = 0; i < n; i++) {
            ClipProjection p = published.get(i);
            double w = (weights == null ? 1.0 : weights[i]) / total;
            if (p == null || p.projections() == null || p.projections().length != projections
                || !(p.distance() >= 0) || !Double.isFinite(p.distance())) {
                return new double[] {Double.POSITIVE_INFINITY, 0};
            }
            scale += w * Math.min(tau, p.distance());
            for (int k = 0; k < projections; k++) {
                sums[k] += w * p.projections()[k];
            }
        }
        for (double s : sums) {
            worst = Math.max(worst, Double.isFinite(s) ? Math.abs(s) : Double.POSITIVE_INFINITY);
        }
        return new double[] {worst, relativeTolerance * Math.max(scale, Double.MIN_NORMAL)};
    }
}
