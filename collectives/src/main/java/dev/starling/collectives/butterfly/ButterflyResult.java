package dev.starling.collectives.butterfly;

import java.util.List;

/**
 * What one member ends a butterfly round with.
 *
 * @param aggregate           the full aggregated vector; parts in {@code missingParts} are zero
 * @param missingParts        parts whose reducer never delivered its aggregate before the gather deadline
 * @param missingContributors members whose contribution to this member's own part was not used (never arrived
 *                            before the reduce deadline, or was rejected)
 * @param faults              members caught sending invalid chunks, with the reason
 */
public record ButterflyResult(float[] aggregate, List<Integer> missingParts, List<Integer> missingContributors,
                              List<PeerFault> faults) {
}
