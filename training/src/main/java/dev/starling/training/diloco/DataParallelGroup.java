package dev.starling.training.diloco;

import dev.starling.collectives.butterfly.ButterflyMember;
import java.util.List;

/**
 * The synchronous baseline simulated in one JVM: each step every peer computes its gradient, the group all-reduces
 * the gradients through a {@link GroupExchange} (FP32, mean), and every peer takes the same AdamW step. Bytes are
 * counted exactly as for DiLoCo. Owner: one thread.
 */
public final class DataParallelGroup {
    private final List<DataParallelPeer> peers;
    private final GroupExchange exchange;
    private final long[] bytesSent;

    /**
     * Creates a group.
     *
     * @param peers    the peers (owned by the caller)
     * @param exchange how the gradients travel
     */
    public DataParallelGroup(final List<DataParallelPeer> peers, final GroupExchange exchange) {
        if (peers.isEmpty()) {
            throw new IllegalArgumentException("a group needs at least one peer");
        }
        this.peers = List.copyOf(peers);
        this.exchange = exchange;
        this.bytesSent = new long[peers.size()];
    }

    /**
     * One synchronous step.
     *
     * @return the mean training loss of the peers' batches
     * @throws IllegalStateException if a member does not finish (the baseline assumes no failures)
     */
    public double step() {
        int n = peers.size();
        double loss = 0;
        for (DataParallelPeer p : peers) {
            loss += p.computeGradient();
        }
        List<String> roster = peers.stream().map(DataParallelPeer::name).toList();
        GroupExchange.Deadlines deadlines = exchange.nextDeadlines();
        ButterflyMember[] members = new ButterflyMember[n];
        float[][] grads = new float[n][];
        for (int m = 0; m < n; m++) {
            members[m] = peers.get(m).beginStep(roster, deadlines);
            grads[m] = peers.get(m).gradient();
        }
        ExchangeReport report = exchange.run(members, grads);
        for (int m = 0; m < n; m++) {
            if (!report.survived(m) || !report.results()[m].missingParts().isEmpty()) {
                throw new IllegalStateException(peers.get(m).name() + " did not complete the gradient all-reduce");
            }
            bytesSent[m] += report.bytesSent()[m];
            peers.get(m).applyStep(report.results()[m]);
        }
        return loss / n;
    }

    /**
     * Bytes each peer has sent so far.
     *
     * @return a copy of the counters
     */
    public long[] bytesSent() {
        return bytesSent.clone();
    }

    /**
     * The peers.
     *
     * @return the peers in roster order
     */
    public List<DataParallelPeer> peers() {
        return peers;
    }
}
