package dev.starling.training.byzantine;

import dev.starling.collectives.aggregate.Aggregator;
import dev.starling.collectives.aggregate.CenteredClip;
import dev.starling.collectives.aggregate.CoordinateMedian;
import dev.starling.collectives.aggregate.Mean;
import dev.starling.collectives.aggregate.TrimmedMean;

/** The aggregation rules the experiment compares; only CenteredClip is paired with reducer verification. */
public enum Defence {
    /** Plain mean: the non-robust baseline. */
    MEAN("mean"),
    /** Coordinate-wise median. */
    MEDIAN("median"),
    /** Coordinate-wise trimmed mean, trimming a quarter of the values at each end. */
    TRIMMED_MEAN("trimmed-mean"),
    /** CenteredClip, with every reducer verified (projections, accusations, reveals, bans). */
    CENTERED_CLIP_VERIFIED("centered-clip+verify");

    /** CenteredClip stops once a step moves the center by less than this share of τ. */
    static final double CONVERGED = 1e-6;

    private final String label;

    Defence(final String label) {
        this.label = label;
    }

    /**
     * The name in files and tables.
     *
     * @return e.g. {@code trimmed-mean}
     */
    public String label() {
        return label;
    }

    /**
     * A name short enough for a plot legend.
     *
     * @return e.g. {@code cc+verify}
     */
    public String shortLabel() {
        return this == CENTERED_CLIP_VERIFIED ? "cc+verify" : this == TRIMMED_MEAN ? "trimmed" : label;
    }

    /**
     * Whether reducers are verified.
     *
     * @return true for CenteredClip
     */
    public boolean verified() {
        return this == CENTERED_CLIP_VERIFIED;
    }

    /**
     * The rule each reducer runs.
     *
     * @param settings the experiment's settings (iterations, the tolerated attackers)
     * @param tau      this round's τ (CenteredClip only)
     * @return the aggregator
     */
    public Aggregator aggregator(final ByzantineSettings settings, final double tau) {
        return switch (this) {
            case MEAN -> new Mean();
            case MEDIAN -> new CoordinateMedian();
            // A quarter at each end: trimming f = 7 of 16 would leave the middle two, i.e. the median.
            case TRIMMED_MEAN -> new TrimmedMean(settings.peers() / 4);
            // Iterate to a tight fixed point: the verification holds the reducer to it.
            case CENTERED_CLIP_VERIFIED -> new CenteredClip(tau, settings.clipIterations(), tau * CONVERGED);
        };
    }
}
