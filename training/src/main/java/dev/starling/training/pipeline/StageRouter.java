package dev.starling.training.pipeline;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * SWARM's stochastic wiring, I/O-free: each stage has a pool of peers, each peer a throughput estimate (an
 * exponential moving average of tensor elements per second over its completed hops), and a hop goes to a peer drawn
 * with probability proportional to its throughput, so faster peers get more micro-batches but slow ones are still
 * measured. A peer never measured counts as the best in its pool until it is. Peers that send bad input collect
 * strikes; at {@link #maxStrikes} they are excluded from routing for good. A peer that timed out or vanished is
 * dropped until {@link #add} brings it back.
 *
 * <p>Owner: the client thread that routes micro-batches; not thread-safe. Time is passed in.
 *
 * @param <P> the peer id type
 */
public final class StageRouter<P> {
    private static final double EWMA = 0.3;

    private final int maxStrikes;
    private final SplittableRandom random;
    private final Map<P, Entry> peers = new HashMap<>();
    private final Map<P, Integer> strikes = new HashMap<>();

    private static final class Entry {
        final int stage;
        double elementsPerSecond = Double.NaN;

        Entry(int stage) {
            this.stage = stage;
        }
    }

    /**
     * Creates an empty router.
     *
     * @param maxStrikes bad inputs after which a peer is excluded for good (at least 1)
     * @param seed       seed of the routing draws
     */
    public StageRouter(int maxStrikes, long seed) {
        if (maxStrikes < 1) {
            throw new IllegalArgumentException("maxStrikes must be at least 1, got " + maxStrikes);
        }
        this.maxStrikes = maxStrikes;
        this.random = new SplittableRandom(seed);
    }

    /**
     * Adds a peer to a stage's pool (or moves it there); an excluded peer stays out.
     *
     * @param peer  the peer
     * @param stage its stage
     * @return false if the peer is excluded
     */
    public boolean add(P peer, int stage) {
        if (isExcluded(peer)) {
            return false;
        }
        peers.put(peer, new Entry(stage));
        return true;
    }

    /**
     * Drops a peer from routing (timed out, disconnected, left).
     *
     * @param peer the peer
     */
    public void remove(P peer) {
        peers.remove(peer);
    }

    /**
     * Picks the peer for a hop into {@code stage}, by throughput, skipping the ones already tried for this hop.
     *
     * @param stage the stage
     * @param tried peers that already failed this hop
     * @return the peer, or empty when the stage has no usable peer left
     */
    public Optional<P> choose(int stage, Set<P> tried) {
        List<P> candidates = new ArrayList<>();
        double best = 0;
        for (Map.Entry<P, Entry> e : peers.entrySet()) {
            if (e.getValue().stage == stage && !tried.contains(e.getKey())) {
                candidates.add(e.getKey());
                double w = e.getValue().elementsPerSecond;
                if (!Double.isNaN(w)) {
                    best = Math.max(best, w);
                }
            }
        }
        if (candidates.isEmpty()) {
            return Optional.empty();
        }
        candidates.sort((a, b) -> a.toString().compareTo(b.toString()));
        double total = 0;
        double[] w = new double[candidates.size()];
        for (int i = 0; i < w.length; i++) {
            double measured = peers.get(candidates.get(i)).elementsPerSecond;
            w[i] = Double.isNaN(measured) ? Math.max(best, 1) : Math.max(measured, 1e-9);
            total += w[i];
        }
        double draw = random.nextDouble() * total;
        for (int i = 0; i < w.length; i++) {
            draw -= w[i];
            if (draw < 0) {
                return Optional.of(candidates.get(i));
            }
        }
        return Optional.of(candidates.getLast());
    }

    /**
     * Records a completed hop and updates the peer's throughput.
     *
     * @param peer     the peer
     * @param elements tensor elements it processed
     * @param nanos    how long the hop took, request sent to answer received
     */
    public void recordSuccess(P peer, long elements, long nanos) {
        Entry e = peers.get(peer);
        if (e == null || nanos <= 0) {
            return;
        }
        double rate = elements * 1e9 / nanos;
        e.elementsPerSecond = Double.isNaN(e.elementsPerSecond) ? rate : (1 - EWMA) * e.elementsPerSecond + EWMA * rate;
    }

    /**
     * Records a bad frame from a peer; at {@code maxStrikes} it is excluded from routing for good.
     *
     * @param peer the peer
     * @return true if this strike excluded it
     */
    public boolean recordBadInput(P peer) {
        int n = strikes.merge(peer, 1, Integer::sum);
        if (n >= maxStrikes) {
            peers.remove(peer);
            return n == maxStrikes;
        }
        return false;
    }

    /**
     * Whether a peer is excluded for bad input.
     *
     * @param peer the peer
     * @return true once it reached the strike limit
     */
    public boolean isExcluded(P peer) {
        return strikes.getOrDefault(peer, 0) >= maxStrikes;
    }

    /**
     * The usable peers of a stage.
     *
     * @param stage the stage
     * @return how many
     */
    public int poolSize(int stage) {
        int n = 0;
        for (Entry e : peers.values()) {
            if (e.stage == stage) {
                n++;
            }
        }
        return n;
    }

    /**
     * Where a joining (or idle) peer should go: the stage with the least usable throughput, an empty stage first,
     * then (while throughputs tie, e.g. none measured yet) the stage with fewest peers, so that the pools stay
     * balanced and a stage that ran short is refilled (SWARM's rebalancing).
     *
     * @param stages S
     * @return the stage
     */
    public int stageToJoin(int stages) {
        double[] total = new double[stages];
        int[] count = new int[stages];
        for (Entry e : peers.values()) {
            if (e.stage >= 0 && e.stage < stages) {
                count[e.stage]++;
                total[e.stage] += Double.isNaN(e.elementsPerSecond) ? 0 : e.elementsPerSecond;
            }
        }
        int best = 0;
        for (int s = 1; s < stages; s++) {
            boolean emptier = count[s] == 0 && count[best] > 0;
            boolean bothOrNeither = (count[s] == 0) == (count[best] == 0);
            boolean slower = bothOrNeither && total[s] < total[best];
            boolean fewer = bothOrNeither && total[s] == total[best] && count[s] < count[best];
            if (emptier || slower || fewer) {
                best = s;
            }
        }
        return best;
    }

    /**
     * SWARM's reassignment when a stage runs short: if some stage has no usable peer while another has two or more,
     * the slowest peer of the largest pool should move to the empty stage (and be rebuilt there by CheckFree).
     *
     * @param stages S
     * @return the peer to move and its new stage, or empty when every stage has a peer or no pool can spare one
     */
    public Optional<Map.Entry<P, Integer>> reassignment(int stages) {
        int[] count = new int[stages];
        for (Entry e : peers.values()) {
            if (e.stage >= 0 && e.stage < stages) {
                count[e.stage]++;
            }
        }
        int empty = -1;
        int largest = 0;
        for (int s = 0; s < stages; s++) {
            if (count[s] == 0 && empty < 0) {
                empty = s;
            }
            if (count[s] > count[largest]) {
                largest = s;
            }
        }
        if (empty < 0 || count[largest] < 2) {
            return Optional.empty();
        }
        P slowest = null;
        double rate = Double.POSITIVE_INFINITY;
        List<P> pool = new ArrayList<>();
        for (Map.Entry<P, Entry> e : peers.entrySet()) {
            if (e.getValue().stage == largest) {
                pool.add(e.getKey());
            }
        }
        pool.sort((a, b) -> a.toString().compareTo(b.toString()));
        for (P p : pool) {
            double r = peers.get(p).elementsPerSecond;
            double w = Double.isNaN(r) ? 0 : r;
            if (w < rate) {
                rate = w;
                slowest = p;
            }
        }
        return Optional.of(Map.entry(slowest, empty));
    }

    /**
     * A peer's current throughput estimate.
     *
     * @param peer the peer
     * @return elements per second, NaN when unmeasured or unknown
     */
    public double throughput(P peer) {
        Entry e = peers.get(peer);
        return e == null ? Double.NaN : e.elementsPerSecond;
    }
}
