package dev.starling.fault.membership;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Who takes part in the run, as this peer sees it: peers heard from (heartbeats on the run's state topic), judged
 * live by a {@link PhiAccrualDetector}, minus those that announced their leave or were banned. {@link #snapshot}
 * fixes the view for one round, so the round's decisions (how many peers to wait for, whose state to trust) use one
 * consistent set. I/O-free (time is an argument); not thread-safe: one owner thread.
 *
 * <p>A heartbeat from a banned peer or from a peer not admitted to the run is ignored, and so is a heartbeat from an
 * unknown peer once {@link PhiAccrualDetector#MAX_PEERS} are known.
 */
public final class MembershipView {
    /**
     * One round's membership.
     *
     * @param round the round the view was taken for
     * @param live  the live peers (ids), sorted, this peer included
     */
    public record Round(long round, Set<String> live) {
        /** Copies the set. */
        public Round {
            live = Set.copyOf(new TreeSet<>(live));
        }

        /**
         * How many peers are live.
         *
         * @return the count, this peer included
         */
        public int size() {
            return live.size();
        }
    }

    private final String self;
    private final PhiAccrualDetector detector;
    private final double threshold;
    private final Set<String> left = new HashSet<>();
    private final Set<String> banned = new HashSet<>();
    private final Map<String, Long> roundOf = new HashMap<>();

    /**
     * Creates a view.
     *
     * @param self      this peer's id
     * @param detector  the failure detector (owned by this view from now on)
     * @param threshold φ above which a peer is suspected (8 is a common choice)
     */
    public MembershipView(String self, PhiAccrualDetector detector, double threshold) {
        if (!(threshold > 0)) {
            throw new IllegalArgumentException("phi threshold must be positive, got " + threshold);
        }
        this.self = self;
        this.detector = detector;
        this.threshold = threshold;
    }

    /**
     * A heartbeat arrived.
     *
     * @param peer     its author, as authenticated by gossip
     * @param round    the last round it finished
     * @param nowNanos now
     * @return true if it was counted; false for this peer itself, a banned peer or a full table
     */
    public boolean heartbeat(String peer, long round, long nowNanos) {
        if (peer.equals(self) || banned.contains(peer)) {
            return false;
        }
        if (!detector.heartbeat(peer, nowNanos)) {
            return false;
        }
        left.remove(peer);
        roundOf.merge(peer, round, Math::max);
        return true;
    }

    /**
     * A peer announced a graceful leave: it is out at once, without waiting for the detector.
     *
     * @param peer its id
     */
    public void left(String peer) {
        left.add(peer);
        detector.remove(peer);
        roundOf.remove(peer);
    }

    /**
     * A peer was banned: its heartbeats are ignored from now on.
     *
     * @param peer its id
     */
    public void ban(String peer) {
        banned.add(peer);
        left(peer);
    }

    /**
     * The live set now.
     *
     * @param round    the round the view is for
     * @param nowNanos now
     * @return the round's view (this peer is always in it)
     */
    public Round snapshot(long round, long nowNanos) {
        Set<String> live = new TreeSet<>();
        live.add(self);
        for (String peer : detector.known()) {
            if (!left.contains(peer) && detector.isAvailable(peer, nowNanos, threshold)) {
                live.add(peer);
            }
        }
        return new Round(round, live);
    }

    /**
     * The newest round any live peer reported finishing.
     *
     * @param nowNanos now
     * @return the round, or 0 when no live peer reported one
     */
    public long newestRound(long nowNanos) {
        long newest = 0;
        for (Map.Entry<String, Long> e : roundOf.entrySet()) {
            if (detector.isAvailable(e.getKey(), nowNanos, threshold)) {
                newest = Math.max(newest, e.getValue());
            }
        }
        return newest;
    }
}
