package dev.starling.p2p.emulation;

/**
 * A byte serializer at a fixed rate: a token bucket one segment deep, kept as the time its last byte leaves
 * ({@code busyUntil}) plus the fraction of a nanosecond carried over, so that pacing is exact over any number of
 * writes (1250 bytes at 100 Mbit/s take exactly 100 µs, and a million of them exactly 100 s). I/O-free; time is
 * passed in.
 *
 * <p>Not thread-safe by itself: a pacer owned by one link is used on that connection's event loop; the host's
 * shared uplink pacer is reached through {@link SharedPacer}.
 */
class Pacer {
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private final long rateBitsPerSecond;
    private long busyUntil = Long.MIN_VALUE;
    /** Carried remainder of bits×1e9 not yet turned into a whole nanosecond, in [0, rate). */
    private long carry;

    /** @param rateBitsPerSecond the rate, 1..{@link LinkProfile#MAX_RATE_BITS_PER_SECOND}; 0 = unlimited */
    Pacer(long rateBitsPerSecond) {
        this.rateBitsPerSecond = rateBitsPerSecond;
    }

    /**
     * Reserves the link for {@code bytes} starting no earlier than {@code earliestNanos}.
     *
     * @param bytes         bytes to serialize
     * @param earliestNanos when they are ready
     * @return when the last of them has left
     */
    long finish(long bytes, long earliestNanos) {
        if (rateBitsPerSecond == 0) return earliestNanos;
        long start = busyUntil == Long.MIN_VALUE || earliestNanos - busyUntil > 0 ? earliestNanos : busyUntil;
        if (start != busyUntil) carry = 0; // an idle link has no partial nanosecond pending
        long bits = bytes * 8;
        long whole = bits / rateBitsPerSecond;
        long rest = bits % rateBitsPerSecond; // < rate <= 9e9, so rest * 1e9 fits in a long
        long fractional = rest * NANOS_PER_SECOND + carry;
        long nanos = whole * NANOS_PER_SECOND + fractional / rateBitsPerSecond;
        carry = fractional % rateBitsPerSecond;
        busyUntil = start + nanos;
        return busyUntil;
    }

    /** @return the rate, 0 for unlimited */
    long rateBitsPerSecond() {
        return rateBitsPerSecond;
    }
}
