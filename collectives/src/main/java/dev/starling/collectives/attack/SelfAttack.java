package dev.starling.collectives.attack;

import dev.starling.collectives.CollectivesException;
import dev.starling.collectives.aggregate.Aggregator;

/**
 * One attacking peer that sees only what a real peer sees: its own update and the aggregates it receives (the
 * {@code starling peer --attack NAME} mode). Where an attack needs the honest updates (ALIE, IPM) it estimates their
 * mean by its own update and their spread by how far its own update was from the last aggregate. Stateful (the stale
 * update, the last aggregate); owned by the peer's training thread.
 */
public final class SelfAttack {
    /** Sign flip's λ. */
    public static final double SIGN_FLIP_SCALE = 4.0;
    /** Noise σ, relative to the RMS of the attacker's own honest update. */
    public static final double NOISE_RELATIVE_SIGMA = 10.0;
    /** IPM's ε. */
    public static final double IPM_EPSILON = 2.0;
    /** ALIE's z when the attacker does not know how many others collude: Φ⁻¹(0.75), about 0.67. */
    public static final double ALIE_Z = 0.6745;

    private final PeerAttack attack;
    private final long seed;
    private final float liarShift;
    private float[] stale;
    private float[] lastAggregate;

    /**
     * Creates the attacker.
     *
     * @param attack    what it does; attacks not {@link PeerAttack#onMesh()} (MIMIC, LABEL_FLIP) are refused
     * @param seed      noise seed
     * @param liarShift what a lying reducer adds to every coordinate of its part
     * @throws CollectivesException INTERNAL for MIMIC and LABEL_FLIP
     */
    public SelfAttack(final PeerAttack attack, final long seed, final float liarShift) {
        if (!attack.onMesh()) {
            throw CollectivesException.internal(attack.cliName() + " runs only in the byzantine experiment");
        }
        this.attack = attack;
        this.seed = seed;
        this.liarShift = liarShift;
    }

    /**
     * The attack.
     *
     * @return what this peer mounts
     */
    public PeerAttack attack() {
        return attack;
    }

    /**
     * Replaces this round's honest update with the malicious one, in place.
     *
     * @param delta the honest update; overwritten
     * @param round the round (seeds the noise)
     */
    public void corrupt(final float[] delta, final long round) {
        int d = delta.length;
        switch (attack) {
            case SIGN_FLIP -> scale(delta, -SIGN_FLIP_SCALE);
            case IPM -> scale(delta, -IPM_EPSILON);
            case NOISE -> {
                double sigma = NOISE_RELATIVE_SIGMA * rms(delta);
                float[] noise = UpdateAttacks.craft(UpdateAttack.GAUSSIAN_NOISE, delta, null, sigma,
                    seed * 31 + round);
                System.arraycopy(noise, 0, delta, 0, d);
            }
            case ALIE -> {
                for (int c = 0; c < d; c++) {
                    double spread = lastAggregate != null && lastAggregate.length == d
                        ? Math.abs(delta[c] - lastAggregate[c]) : Math.abs(delta[c]);
                    delta[c] = (float) (delta[c] - ALIE_Z * Math.signum(delta[c]) * spread);
                }
            }
            case STALE_REPLAY -> {
                if (stale == null || stale.length != d) {
                    stale = delta.clone(); // the first round is sent honestly and replayed from then on
                } else {
                    System.arraycopy(stale, 0, delta, 0, d);
                }
            }
            case LYING_REDUCER, MIMIC, LABEL_FLIP -> {
                // The liar contributes honestly; MIMIC and LABEL_FLIP were refused in the constructor.
            }
        }
    }

    /**
     * The rule this peer reduces its part with: a {@link LyingReducer} for the lying-reducer attack, else the
     * honest rule.
     *
     * @param honest the run's aggregator
     * @return the aggregator to use
     */
    public Aggregator reducer(final Aggregator honest) {
        return attack == PeerAttack.LYING_REDUCER ? new LyingReducer(honest, liarShift) : honest;
    }

    /**
     * Remembers the round's aggregate (ALIE's spread estimate).
     *
     * @param aggregate the aggregate this peer received; copied
     */
    public void observeAggregate(final float[] aggregate) {
        lastAggregate = aggregate.clone();
    }

    private static void scale(final float[] v, final double factor) {
        for (int c = 0; c < v.length; c++) {
            v[c] = (float) (factor * v[c]);
        }
    }

    private static double rms(final float[] v) {
        double s = 0;
        for (float x : v) {
            s += (double) x * x;
        }
        return v.length == 0 ? 0 : Math.sqrt(s / v.length);
    }
}
