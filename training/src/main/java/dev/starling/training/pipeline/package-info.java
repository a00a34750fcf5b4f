/**
 * Pipeline training over unreliable peers (SWARM) with checkpoint-free stage recovery (CheckFree, CheckFree+).
 *
 * <p><b>What is here.</b> {@code StageWorker} is one stage peer's optimizer side (accumulate, clip, AdamW, the last
 * gradient norm CheckFree weighs by). Over p2p: {@code PipelineFrame} is the wire codec of
 * {@code /starling/pipeline/1.0.0} (bf16 activations and gradients, ids, a 44-byte header, every size capped before
 * allocating); {@code StageServer} serves one stage on a host (one request and one answer per stream, the model on its
 * own compute thread); {@code PipelineClient} drives micro-batches through the stages, each hop to a peer the
 * I/O-free {@code StageRouter} draws by measured throughput, rerouting refused, late or bad answers and excluding a
 * peer after repeated bad input; {@code StagePoolAveraging} averages a stage pool's weights with the butterfly
 * all-reduce; {@code StageRejoin} lets a peer assigned to a stage that lost all its peers fetch its neighbours' block
 * weights and gradient norms ({@code /starling/stage-weights/1.0.0}) and initialise the stage by CheckFree, and
 * {@code StageRouter.stageToJoin} says which stage a joining peer should serve. In one thread:
 * {@code StagedPipeline} runs the same stage parts with in-process hops, {@code StageRecovery} applies the recovery
 * plans of {@code dev.starling.fault.checkfree}, and {@code CheckfreeExperiment} / {@code CheckfreeReport} are
 * {@code starling experiment checkfree}.
 *
 * <p><b>Decisions.</b>
 * <ul>
 *   <li>The client relays every hop (client → stage peer → client), as SWARM's trainers and Petals' clients do; the
 *       backward goes to the peers that ran the forward (they hold the activations); when one of them is gone the
 *       micro-batch is DROPPED, when a stage has no peer left it is STAGE_LOST and must be reassigned and rebuilt.</li>
 *   <li>The last stage answers a FORWARD with d(input) and the loss in one round trip.</li>
 *   <li>Tied embedding: the first and last stage each hold {@code wte}. In one process their gradients are summed
 *       every step ({@code GptStage.syncTiedGradients}), which equals the whole model's gradient. Over p2p that
 *       exchange is not implemented yet: the first and last stage peers' copies drift apart</li>
 *   <li>CheckFree+'s out-of-order micro-batches run only in {@code StagedPipeline}: {@code StageServer} accepts
 *       forwards from stage s-1 only.</li>
 *   <li>Within a stage pool the peers average weights (outer lr 1, no momentum); DiLoCo's Nesterov outer step is left
 *       for later.</li>
 *   <li>A rebuilt stage restarts its AdamW moments; checkpoint-restart restores them (AdamW's step counter, used only
 *       for bias correction, is not rolled back).</li>
 * </ul>
 */
package dev.starling.training.pipeline;
