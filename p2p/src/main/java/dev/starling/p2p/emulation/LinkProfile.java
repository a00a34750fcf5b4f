package dev.starling.p2p.emulation;

import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * One direction of an emulated link: how fast it serializes bytes, how long they then travel, and how often a
 * TCP segment is lost on the way. Immutable; checked at construction (STYLE rule 8).
 *
 * @param rateBitsPerSecond serialization rate; 0 means unlimited; at most {@link #MAX_RATE_BITS_PER_SECOND}
 * @param delayNanos        one-way propagation delay added to every byte, at least 0
 * @param lossProbability   chance that a segment of {@link #SEGMENT_BYTES} is lost and must be retransmitted,
 *                          in [0, 0.5]
 */
public record LinkProfile(long rateBitsPerSecond, long delayNanos, double lossProbability) {
    /** Fastest rate the pacer's integer arithmetic supports (9 Gbit/s). */
    public static final long MAX_RATE_BITS_PER_SECOND = 9_000_000_000L;
    /** The segment size the loss model draws losses for (a TCP MSS on a 1500-byte MTU). */
    public static final int SEGMENT_BYTES = 1460;
    /** No shaping at all. */
    public static final LinkProfile UNSHAPED = new LinkProfile(0, 0, 0);

    /** Rejects rates, delays and loss probabilities outside their ranges, naming the value. */
    public LinkProfile {
        if (rateBitsPerSecond < 0 || rateBitsPerSecond > MAX_RATE_BITS_PER_SECOND) {
            throw new IllegalArgumentException("link rate must be 0 (unlimited) or up to "
                    + MAX_RATE_BITS_PER_SECOND + " bit/s, got " + rateBitsPerSecond);
        }
        if (delayNanos < 0 || delayNanos > TimeUnit.SECONDS.toNanos(60)) {
            throw new IllegalArgumentException("link delay must be in [0, 60 s], got " + delayNanos + " ns");
        }
        if (!(lossProbability >= 0 && lossProbability <= 0.5)) {
            throw new IllegalArgumentException("link loss probability must be in [0, 0.5], got " + lossProbability);
        }
    }

    /**
     * Parses {@code RATE[,DELAY[,LOSS]]} as a user types it: {@code 100mbit,50ms}, {@code 1gbit,10ms,0.1%},
     * {@code 0,20ms} (unlimited rate). Rates take {@code bit kbit mbit gbit} (powers of 1000), delays
     * {@code us ms s}, loss a fraction or a percentage.
     *
     * @param text the spec
     * @return the profile
     * @throws IllegalArgumentException with a one-line message naming what is wrong
     */
    public static LinkProfile parse(String text) {
        String[] parts = text.trim().toLowerCase(Locale.ROOT).split(",");
        if (parts.length > 3 || parts[0].isBlank()) {
            throw new IllegalArgumentException("link spec must be RATE[,DELAY[,LOSS]] such as 100mbit,50ms, got '"
                    + text + "'");
        }
        long rate = parseRate(parts[0].trim());
        long delay = parts.length > 1 ? parseDelay(parts[1].trim()) : 0;
        double loss = parts.length > 2 ? parseLoss(parts[2].trim()) : 0;
        return new LinkProfile(rate, delay, loss);
    }

    private static long parseRate(String s) {
        String[][] units = {{"gbit", "1000000000"}, {"mbit", "1000000"}, {"kbit", "1000"}, {"bit", "1"}};
        for (String[] u : units) {
            if (s.endsWith(u[0])) {
                return Math.round(number(s.substring(0, s.length() - u[0].length()), s) * Long.parseLong(u[1]));
            }
        }
        if (s.equals("0")) return 0;
        throw new IllegalArgumentException("link rate '" + s + "' needs a unit: bit, kbit, mbit or gbit");
    }

    private static long parseDelay(String s) {
        if (s.endsWith("us")) return Math.round(number(s.substring(0, s.length() - 2), s) * 1e3);
        if (s.endsWith("ms")) return Math.round(number(s.substring(0, s.length() - 2), s) * 1e6);
        if (s.endsWith("s")) return Math.round(number(s.substring(0, s.length() - 1), s) * 1e9);
        if (s.equals("0")) return 0;
        throw new IllegalArgumentException("link delay '" + s + "' needs a unit: us, ms or s");
    }

    private static double parseLoss(String s) {
        return s.endsWith("%") ? number(s.substring(0, s.length() - 1), s) / 100 : number(s, s);
    }

    private static double number(String digits, String whole) {
        try {
            return Double.parseDouble(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + whole + "' is not a number with a unit");
        }
    }

    /** @return true when this profile changes nothing */
    public boolean isUnshaped() {
        return rateBitsPerSecond == 0 && delayNanos == 0 && lossProbability == 0;
    }

    @Override
    public String toString() {
        return (rateBitsPerSecond == 0 ? "unlimited" : rateBitsPerSecond / 1e6 + " Mbit/s") + ", "
                + delayNanos / 1e6 + " ms, loss " + lossProbability;
    }
}
