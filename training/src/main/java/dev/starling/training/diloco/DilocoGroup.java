package dev.starling.training.diloco;

import dev.starling.collectives.butterfly.ButterflyMember;
import dev.starling.collectives.butterfly.ButterflyResult;
import java.util.ArrayList;
import java.util.List;

/**
 * A DiLoCo group simulated in one JVM: every live peer runs its inner phase, then the group runs one butterfly
 * all-reduce through a {@link GroupExchange} and every surviving peer applies the outer step. A peer that dies
 * during a round is left out of every later round (it would rejoin as a new peer). Owner: one thread.
 */
public final class DilocoGroup {
    private final List<DilocoPeer> live;
    private final GroupExchange exchange;
    private final long[] bytesSent;
    private long round;

    /**
     * Creates a group.
     *
     * @param peers    the peers, which all start from the same θ (owned by the caller, who closes them)
     * @param exchange how rounds are carried
     */
    public DilocoGroup(final List<DilocoPeer> peers, final GroupExchange exchange) {
        if (peers.isEmpty()) {
            throw new IllegalArgumentException("a group needs at least one peer");
        }
        this.live = new ArrayList<>(peers);
        this.exchange = exchange;
        this.bytesSent = new long[peers.stream().mapToInt(DilocoPeer::index).max().orElse(0) + 1];
    }

    /**
     * One round: inner phases, then the all-reduce and the outer step.
     *
     * @return what happened
     */
    public RoundReport round() {
        double loss = 0;
        for (DilocoPeer p : live) {
            loss += p.innerPhase();
        }
        loss /= live.size();
        List<String> roster = live.stream().map(DilocoPeer::name).toList();
        GroupExchange.Deadlines deadlines = exchange.nextDeadlines();
        int n = live.size();
        ButterflyMember[] members = new ButterflyMember[n];
        float[][] updates = new float[n][];
        for (int m = 0; m < n; m++) {
            members[m] = live.get(m).beginRound(round, roster, deadlines);
            updates[m] = live.get(m).update();
        }
        ExchangeReport report = exchange.run(members, updates);
        List<DilocoPeer> survivors = new ArrayList<>();
        List<String> dropped = new ArrayList<>();
        int faults = 0;
        for (int m = 0; m < n; m++) {
            DilocoPeer p = live.get(m);
            bytesSent[p.index()] += report.bytesSent()[m];
            ButterflyResult r = report.results()[m];
            if (r == null) {
                dropped.add(p.name());
                continue;
            }
            faults += r.faults().size() + r.missingParts().size();
            p.finishRound(r);
            survivors.add(p);
        }
        live.clear();
        live.addAll(survivors);
        round++;
        return new RoundReport(round - 1, loss, survivors.stream().map(DilocoPeer::globalHash).toList(), dropped,
            faults, report.bytesSent());
    }

    /** Applies CO2's last pending aggregate on every live peer (no-op for blocking DiLoCo). */
    public void flush() {
        for (DilocoPeer p : live) {
            p.flush();
        }
    }

    /**
     * Bytes each peer has sent so far, by peer index.
     *
     * @return a copy of the counters
     */
    public long[] bytesSent() {
        return bytesSent.clone();
    }

    /**
     * The peers still in the group.
     *
     * @return the live peers, in roster order
     */
    public List<DilocoPeer> livePeers() {
        return List.copyOf(live);
    }

    /**
     * What one round did.
     *
     * @param round        the round number
     * @param innerLoss    mean training loss of the inner phases
     * @param hashes       θ_global hash of every surviving peer, in roster order
     * @param dropped      peers that died during the round
     * @param faults       faults and missing parts the survivors reported, summed
     * @param bytesByMember bytes each roster member sent this round
     */
    public record RoundReport(long round, double innerLoss, List<String> hashes, List<String> dropped, int faults,
                              long[] bytesByMember) {
        /**
         * Whether every survivor holds the same θ_global bytes.
         *
         * @return true when all hashes agree
         */
        public boolean inParity() {
            return hashes.stream().distinct().count() <= 1;
        }
    }
}
