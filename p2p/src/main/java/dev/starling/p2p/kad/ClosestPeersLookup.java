package dev.starling.p2p.kad;

import dev.starling.p2p.core.PeerId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The iterative Kademlia lookup as an I/O-free state machine (kad-dht/README.md "Peer routing"): starting from the
 * closest peers we know, keep up to alpha queries in flight to the closest peers not yet asked, merge the closer
 * peers each answer returns, and finish when the k closest peers seen have all answered (or nobody is left to ask).
 * The owner sends the queries {@link #next} returns and reports each outcome with {@link #onResponse} or
 * {@link #onFailure}; a query unanswered after the timeout counts as failed.
 *
 * <p>Also records hop depth: peers we start with are at depth 1, a peer first learned from a depth-d answer is at
 * depth d+1. Owner thread only; not thread-safe; time is passed in.
 */
public final class ClosestPeersLookup {
    /** Most candidate peers one lookup remembers (cap against answers that flood us with peers). */
    public static final int MAX_CANDIDATES = 2048;

    private enum State { NOT_CONTACTED, WAITING, SUCCEEDED, FAILED }

    private static final class Candidate {
        private final KadPeer peer;
        private final int depth;
        private State state = State.NOT_CONTACTED;
        private long deadlineNanos;

        Candidate(KadPeer peer, int depth) {
            this.peer = peer;
            this.depth = depth;
        }
    }

    /** What the owner should do next. */
    public sealed interface Step permits Query, Wait, Done {
    }

    /**
     * Send a request to each of these peers now.
     *
     * @param peers the peers
     */
    public record Query(List<KadPeer> peers) implements Step {
    }

    /** Queries are in flight: wait for answers or the next timeout. */
    public record Wait() implements Step {
    }

    /**
     * The lookup finished.
     *
     * @param closest the closest peers that answered, closest first, at most k
     */
    public record Done(List<KadPeer> closest) implements Step {
    }

    private final KadKey target;
    private final int k;
    private final int alpha;
    private final long timeoutNanos;
    private final TreeMap<KadKey, Candidate> candidates;
    private final Map<PeerId, Candidate> byId = new HashMap<>();
    private boolean stopped;
    private int queriesSent;

    /**
     * Starts a lookup.
     *
     * @param target       the key looked up
     * @param seeds        the closest peers we know (from the routing table)
     * @param k            result size (20)
     * @param alpha        queries in flight (3)
     * @param timeoutNanos how long one query may take
     */
    public ClosestPeersLookup(KadKey target, List<KadPeer> seeds, int k, int alpha, long timeoutNanos) {
        if (k <= 0 || alpha <= 0 || timeoutNanos <= 0) {
            throw new IllegalArgumentException("k, alpha and timeout must be positive: " + k + ", " + alpha + ", "
                    + timeoutNanos);
        }
        this.target = target;
        this.k = k;
        this.alpha = alpha;
        this.timeoutNanos = timeoutNanos;
        this.candidates = new TreeMap<>(target::compareDistance);
        for (KadPeer p : seeds) {
            addCandidate(p, 1);
        }
    }

    private void addCandidate(KadPeer peer, int depth) {
        if (byId.containsKey(peer.id())) {
            return;
        }
        if (candidates.size() >= MAX_CANDIDATES) {
            KadKey farthest = candidates.lastKey();
            if (target.compareDistance(peer.key(), farthest) >= 0
                    || candidates.get(farthest).state == State.WAITING) {
                return;
            }
            byId.remove(candidates.remove(farthest).peer.id());
        }
        Candidate c = new Candidate(peer, depth);
        candidates.put(peer.key(), c);
        byId.put(peer.id(), c);
    }

    /**
     * Decides what to do now: expire overdue queries, then either return peers to query, wait, or finish.
     *
     * @param nowNanos the time
     * @return the step
     */
    public Step next(long nowNanos) {
        int inFlight = 0;
        for (Candidate c : candidates.values()) {
            if (c.state == State.WAITING) {
                if (c.deadlineNanos - nowNanos <= 0) {
                    c.state = State.FAILED;
                } else {
                    inFlight++;
                }
            }
        }
        if (stopped) {
            return new Done(closestSucceeded());
        }
        List<KadPeer> toQuery = new ArrayList<>();
        int succeeded = 0;
        boolean pendingAmongClosest = false;
        for (Candidate c : candidates.values()) {
            if (succeeded >= k) {
                break;
            }
            switch (c.state) {
                case SUCCEEDED -> succeeded++;
                case WAITING -> pendingAmongClosest = true;
                case NOT_CONTACTED -> {
                    pendingAmongClosest = true;
                    if (inFlight < alpha) {
                        c.state = State.WAITING;
                        c.deadlineNanos = nowNanos + timeoutNanos;
                        inFlight++;
                        queriesSent++;
                        toQuery.add(c.peer);
                    }
                }
                default -> { }
            }
        }
        if (!toQuery.isEmpty()) {
            return new Query(toQuery);
        }
        if (!pendingAmongClosest || inFlight == 0 && succeeded >= k) {
            stopped = true;
            return new Done(closestSucceeded());
        }
        return new Wait();
    }

    /**
     * Returns the earliest deadline of an in-flight query, so the owner knows when to call {@link #next} again.
     *
     * @return nanos, or {@code Long.MAX_VALUE} when nothing is in flight
     */
    public long nextDeadline() {
        long min = Long.MAX_VALUE;
        for (Candidate c : candidates.values()) {
            if (c.state == State.WAITING && c.deadlineNanos < min) {
                min = c.deadlineNanos;
            }
        }
        return min;
    }

    /**
     * A queried peer answered with the peers it knows closest to the target.
     *
     * @param from   the peer that answered
     * @param closer its closer peers (the owner has already capped the list through the codec)
     * @return the depth of {@code from}, or -1 if it was not being queried
     */
    public int onResponse(PeerId from, List<KadPeer> closer) {
        Candidate c = byId.get(from);
        if (c == null || c.state != State.WAITING && c.state != State.FAILED) {
            return -1;
        }
        c.state = State.SUCCEEDED;
        for (KadPeer p : closer) {
            addCandidate(p, c.depth + 1);
        }
        return c.depth;
    }

    /**
     * A query failed (stream refused, error, bad answer).
     *
     * @param from the peer
     */
    public void onFailure(PeerId from) {
        Candidate c = byId.get(from);
        if (c != null && c.state == State.WAITING) {
            c.state = State.FAILED;
        }
    }

    /** Ends the lookup early (e.g. a GET_VALUE found enough records); the next {@link #next} returns Done. */
    public void stop() {
        stopped = true;
    }

    /**
     * Returns the depth at which a peer was discovered (1 for seeds), or -1 if it is unknown.
     *
     * @param id the peer
     * @return its depth
     */
    public int depthOf(PeerId id) {
        Candidate c = byId.get(id);
        return c == null ? -1 : c.depth;
    }

    /**
     * Returns a peer this lookup learned about (as first announced, with its addresses), answered or not.
     *
     * @param id the peer
     * @return the peer, or null if it never came up
     */
    public KadPeer discovered(PeerId id) {
        Candidate c = byId.get(id);
        return c == null ? null : c.peer;
    }

    /**
     * Returns how many queries this lookup has sent.
     *
     * @return the count
     */
    public int queriesSent() {
        return queriesSent;
    }

    /**
     * Returns the peers this lookup heard of but never queried, closest first (candidates for a routing table that
     * lacks peers in their region: the owner may probe them, see {@link RoutingTable#roomFor}).
     *
     * @return the peers
     */
    public List<KadPeer> unqueried() {
        List<KadPeer> out = new ArrayList<>();
        for (Candidate c : candidates.values()) {
            if (c.state == State.NOT_CONTACTED) {
                out.add(c.peer);
            }
        }
        return out;
    }

    private List<KadPeer> closestSucceeded() {
        List<KadPeer> out = new ArrayList<>();
        for (Candidate c : candidates.values()) {
            if (out.size() >= k) {
                break;
            }
            if (c.state == State.SUCCEEDED) {
                out.add(c.peer);
            }
        }
        return out;
    }

    /**
     * Returns the target key.
     *
     * @return the target
     */
    public KadKey target() {
        return target;
    }
}
