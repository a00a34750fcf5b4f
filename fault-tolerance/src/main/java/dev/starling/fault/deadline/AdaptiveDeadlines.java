package dev.starling.fault.deadline;

import java.util.HashMap;
import java.util.Map;

/**
 * Round deadlines from measured link speed instead of hand-tuned constants: an EWMA of the transfer rate observed
 * on each link (bytes over the time the transfer took), and per round a deadline of {@code slack ×} the time the
 * slowest member's link needs for the round's bytes, plus a fixed allowance for latency and compute, never below a
 * floor and never above the manifest's cap. A link never measured gets the cap (nothing is known, so nobody is cut
 * off early). I/O-free (durations are arguments); not thread-safe: one owner thread.
 */
public final class AdaptiveDeadlines {
    /**
     * Tuning.
     *
     * @param weight         EWMA weight of a new observation, in (0, 1]
     * @param slack          how many times the expected transfer time a phase may take, at least 1
     * @param allowanceNanos added to every phase (latency, aggregation compute)
     * @param floorNanos     shortest phase deadline
     */
    public record Settings(double weight, double slack, long allowanceNanos, long floorNanos) {
        /** Checks the values. */
        public Settings {
            if (!(weight > 0 && weight <= 1) || !(slack >= 1) || allowanceNanos < 0 || floorNanos <= 0) {
                throw new IllegalArgumentException("bad deadline settings: weight " + weight + ", slack " + slack
                        + ", allowance " + allowanceNanos + " ns, floor " + floorNanos + " ns");
            }
        }

        /**
         * Defaults: weight 0.3, slack 4, 2 s allowance, 5 s floor.
         *
         * @return the settings
         */
        public static Settings defaults() {
            return new Settings(0.3, 4, 2_000_000_000L, 5_000_000_000L);
        }
    }

    /**
     * One round's two deadlines, as offsets from its start.
     *
     * @param reduceNanos by when every part must have reached its reducer
     * @param gatherNanos by when every reduced part must be back
     */
    public record Phases(long reduceNanos, long gatherNanos) {
    }

    /** Most links tracked. */
    public static final int MAX_LINKS = 4096;

    private final Settings settings;
    private final Map<String, Double> bytesPerNano = new HashMap<>();

    /**
     * Creates an estimator with no measurements.
     *
     * @param settings tuning
     */
    public AdaptiveDeadlines(Settings settings) {
        this.settings = settings;
    }

    /**
     * Records a transfer.
     *
     * @param link  the link (a peer id, or a name for this peer's own uplink)
     * @param bytes bytes moved
     * @param nanos how long it took
     */
    public void observe(String link, long bytes, long nanos) {
        if (bytes <= 0 || nanos <= 0 || !bytesPerNano.containsKey(link) && bytesPerNano.size() >= MAX_LINKS) {
            return;
        }
        double rate = bytes / (double) nanos;
        bytesPerNano.merge(link, rate, (old, fresh) -> (1 - settings.weight()) * old + settings.weight() * fresh);
    }

    /**
     * The measured rate of a link.
     *
     * @param link the link
     * @return bytes per second, or NaN if never measured
     */
    public double bytesPerSecond(String link) {
        Double r = bytesPerNano.get(link);
        return r == null ? Double.NaN : r * 1e9;
    }

    /**
     * Deadlines for a round in which each of {@code links} must carry {@code bytesPerPhase} in each phase.
     *
     * @param links         the links the round depends on
     * @param bytesPerPhase bytes each link carries per phase (for the butterfly: (n−1)/n of the encoded update)
     * @param capNanos      the manifest's cap on a whole round
     * @return the reduce and gather deadlines, offsets from the round's start
     */
    public Phases plan(Iterable<String> links, long bytesPerPhase, long capNanos) {
        double slowest = Double.POSITIVE_INFINITY;
        for (String link : links) {
            Double r = bytesPerNano.get(link);
            slowest = Math.min(slowest, r == null ? 0 : r);
        }
        if (!(slowest > 0) || Double.isInfinite(slowest)) {
            return new Phases(capNanos / 2, capNanos);
        }
        double phase = settings.slack() * bytesPerPhase / slowest + settings.allowanceNanos();
        long reduce = (long) Math.min(capNanos / 2.0, Math.max(settings.floorNanos(), phase));
        return new Phases(reduce, Math.min(capNanos, 2 * reduce));
    }
}
