/**
 * DiLoCo and CO2 among peers in one JVM: the I/O-free core the network version will put behind a p2p transport.
 *
 * <p><b>What is here.</b> {@code DilocoPeer} is one peer's state (its GPT and inner AdamW, θ_global, the outer
 * optimizer, the error-feedback residual). {@code GroupExchange} carries one butterfly all-reduce round;
 * {@code InProcessExchange} drives every member's {@code ButterflyMember} in one thread with a manual clock and FIFO
 * delivery, injects crashes, and counts the bytes each member sends (56-byte chunk header plus payload, before any
 * transport framing). {@code DilocoGroup} and {@code DataParallelGroup} run rounds and steps; {@code DilocoExperiment}
 * and {@code ExperimentReport} are the experiment behind {@code starling experiment diloco}.
 *
 * <p><b>Decisions.</b>
 * <ul>
 *   <li>Data shards are iid: each peer samples random windows of the whole training split from a seed derived from
 *       the run seed and its index ({@link dev.starling.training.diloco.Shards}); initialisation uses the run seed,
 *       so every peer starts from the same θ.</li>
 *   <li>The inner AdamW state stays local across rounds, and the learning rate is the schedule at the peer's global
 *       inner step (the {@code Trainer}'s step count), as in DiLoCo.</li>
 *   <li>Contributions carry error feedback; aggregated parts use the same codec as the contributions (so int4
 *       DiLoCo sends int4 both ways), except top-k, whose aggregate keeps {@code groupSize ×} the fraction so the
 *       union of the members' top-k fits. The reducer decodes its own encoded part, so every member holds the
 *       same bytes.</li>
 *   <li>A member that dies mid-round is left out of that round by the butterfly's deadlines (its part, if it never
 *       sent it, is zero for everyone) and out of every later round.</li>
 *   <li>CO2 is simulated single-threaded: round r's all-reduce runs to completion at the end of round r, but its
 *       result is applied only at the end of round r+1 (staleness penalty, momentum clip, {@code rebaseLocal}). The
 *       overlap is therefore logical; {@code experiment diloco} measures compute utilization in wall time over the
 *       mesh (the peer module's overlap run) in the same run. At the end of training the last pending aggregate is
 *       applied ({@code flush}).</li>
 *   <li>The data-parallel baseline clips the averaged gradient, then every peer takes the same AdamW step.</li>
 * </ul>
 *
 * <p><b>Threads.</b> Every class is owned by the one simulation thread; kernels fan out over the caller's
 * {@code ParallelFor}.
 */
package dev.starling.training.diloco;
