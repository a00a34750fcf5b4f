package dev.starling.fault.membership;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The phi-accrual failure detector (Hayashibara et al., 2004): for each peer it keeps a window of the intervals
 * between its heartbeats and reports φ = −log10(P(no heartbeat for this long)), assuming normally distributed
 * intervals. φ grows smoothly with silence; a caller picks the threshold (8 means a one-in-10⁸ chance that a live
 * peer would be this late). I/O-free: every call takes {@code nowNanos}. Not thread-safe: one owner thread.
 */
public final class PhiAccrualDetector {
    /** Intervals kept per peer. */
    public static final int WINDOW = 100;
    /** Most peers tracked; heartbeats from more are ignored (a flood cannot grow the table). */
    public static final int MAX_PEERS = 4096;

    private final long firstIntervalNanos;
    private final long minStdDevNanos;
    private final long pauseNanos;
    private final Map<String, History> peers = new HashMap<>();

    /**
     * Creates a detector.
     *
     * @param firstIntervalNanos the interval assumed before a peer's second heartbeat (for example the heartbeat
     *                           period)
     * @param minStdDevNanos     the smallest standard deviation used, so a perfectly regular peer is not declared
     *                           dead on the first small delay
     * @param pauseNanos         silence tolerated on top of the mean (for example a GC pause or a slow inner step)
     */
    public PhiAccrualDetector(long firstIntervalNanos, long minStdDevNanos, long pauseNanos) {
        if (firstIntervalNanos <= 0 || minStdDevNanos <= 0 || pauseNanos < 0) {
            throw new IllegalArgumentException("first interval " + firstIntervalNanos + " and min std dev "
                    + minStdDevNanos + " must be positive, pause " + pauseNanos + " not negative");
        }
        this.firstIntervalNanos = firstIntervalNanos;
        this.minStdDevNanos = minStdDevNanos;
        this.pauseNanos = pauseNanos;
    }

    private static final class History {
        private final long[] intervals = new long[WINDOW];
        private int count;
        private int next;
        private double sum;
        private double sumSquares;
        private long last;

        void add(long interval) {
            if (count == WINDOW) {
                long old = intervals[next];
                sum -= old;
                sumSquares -= (double) old * old;
            } else {
                count++;
            }
            intervals[next] = interval;
            next = (next + 1) % WINDOW;
            sum += interval;
            sumSquares += (double) interval * interval;
        }
    }

    /**
     * Records a heartbeat.
     *
     * @param peer     the peer (as authenticated by the transport)
     * @param nowNanos now
     * @return false if the peer table is full and the peer is new (the heartbeat was ignored)
     */
    public boolean heartbeat(String peer, long nowNanos) {
        History h = peers.get(peer);
        if (h == null) {
            if (peers.size() >= MAX_PEERS) {
                return false;
            }
            h = new History();
            h.add(firstIntervalNanos);
            h.last = nowNanos;
            peers.put(peer, h);
            return true;
        }
        long interval = nowNanos - h.last;
        if (interval > 0) {
            h.add(interval);
            h.last = nowNanos;
        }
        return true;
    }

    /**
     * The suspicion level of a peer now.
     *
     * @param peer     the peer
     * @param nowNanos now
     * @return φ ≥ 0; {@link Double#POSITIVE_INFINITY} for a peer never heard from
     */
    public double phi(String peer, long nowNanos) {
        History h = peers.get(peer);
        if (h == null) {
            return Double.POSITIVE_INFINITY;
        }
        double mean = h.sum / h.count;
        double variance = Math.max(0, h.sumSquares / h.count - mean * mean);
        double std = Math.max(Math.sqrt(variance), minStdDevNanos);
        double elapsed = nowNanos - h.last;
        double y = (elapsed - mean - pauseNanos) / std;
        // The logistic approximation of the normal tail (Akka's): P(X > y) ≈ 1 / (1 + e^(y(1.5976 + 0.070566 y²))).
        double e = Math.exp(-y * (1.5976 + 0.070566 * y * y));
        double tail = elapsed > mean + pauseNanos ? e / (1 + e) : 1 - 1 / (1 + e);
        return tail <= 0 ? Double.POSITIVE_INFINITY : Math.max(0, -Math.log10(tail));
    }

    /**
     * Whether a peer counts as alive.
     *
     * @param peer      the peer
     * @param nowNanos  now
     * @param threshold φ above which it is suspected
     * @return true while φ is below the threshold
     */
    public boolean isAvailable(String peer, long nowNanos, double threshold) {
        return phi(peer, nowNanos) < threshold;
    }

    /**
     * Forgets a peer (it left, or was banned).
     *
     * @param peer the peer
     */
    public void remove(String peer) {
        peers.remove(peer);
    }

    /**
     * The peers heard from.
     *
     * @return a snapshot of their ids
     */
    public Set<String> known() {
        return Set.copyOf(peers.keySet());
    }
}
