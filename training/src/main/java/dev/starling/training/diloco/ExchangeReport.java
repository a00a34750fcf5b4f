package dev.starling.training.diloco;

import dev.starling.collectives.butterfly.ButterflyResult;

/**
 * What one all-reduce round left with each member, in roster order.
 *
 * @param results   each member's result, or {@code null} for a member that died during the round
 * @param bytesSent bytes each member put on the wire (chunk headers and payloads, as a transport would carry them)
 * @param chunks    chunks each member sent
 */
public record ExchangeReport(ButterflyResult[] results, long[] bytesSent, int[] chunks) {

    /**
     * Whether a member finished the round.
     *
     * @param member roster index
     * @return true when it has a result
     */
    public boolean survived(final int member) {
        return results[member] != null;
    }
}
