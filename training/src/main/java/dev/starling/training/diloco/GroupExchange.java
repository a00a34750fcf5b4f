package dev.starling.training.diloco;

import dev.starling.collectives.butterfly.ButterflyMember;

/**
 * Carries one butterfly all-reduce round between the members of a group: it calls each {@link ButterflyMember}'s
 * {@code start}, delivers the {@code Outgoing} chunks, lets deadlines pass, and reports what each member ended with
 * and how many bytes each sent. {@link InProcessExchange} runs every member in one thread with a manual clock; a
 * p2p-stream implementation will drive only the local member and deliver over the mesh.
 *
 * <p>Owner: the thread that runs the group's rounds; implementations need not be thread-safe.
 */
public interface GroupExchange {

    /**
     * The deadlines the next round's {@code ButterflyConfig}s must carry, on this exchange's clock.
     *
     * @return the reduce and gather deadlines
     */
    Deadlines nextDeadlines();

    /**
     * Runs one round to completion: every member that stays alive ends in phase DONE.
     *
     * @param members the round's members in roster order, each created with {@link #nextDeadlines()}
     * @param updates each member's update vector, same order (read during the call only)
     * @return each member's result (null for a member that died) and its bytes sent
     */
    ExchangeReport run(ButterflyMember[] members, float[][] updates);

    /**
     * A round's deadlines.
     *
     * @param reduceNanos when reducers stop waiting for contributions
     * @param gatherNanos when members stop waiting for aggregated parts
     */
    record Deadlines(long reduceNanos, long gatherNanos) {
    }
}
