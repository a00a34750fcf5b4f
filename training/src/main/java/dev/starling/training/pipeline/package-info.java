/**
 * Pipeline training over unreliable peers (SWARM) with checkpoint-free stage recovery (CheckFree, CheckFree+).
 *
 * <p><b>What is here.</b> {@code StageWorker} is one stage peer's optimizer side (accumulate, clip, AdamW, the last
 * gradient norm CheckFree weighs by). Over p2p: {@code PipelineFrame} is the wire codec of
 * {@code /starling/pipeline/1.0.0} (bf16 activations and gradients, ids, the hop's parts, a 44-byte header, every
 * size capped before allocating); {@code HopPlan} turns a micro-batch's block order (in order, or CheckFree+'s
 * swapped order) into hops; {@code StageServer} serves one stage on a host (one request and one answer per stream,
 * the model on its own compute thread, hops checked against the micro-batch's plan); {@code PipelineClient} drives
 * micro-batches through the stages, each hop to a peer the I/O-free {@code StageRouter} draws by measured throughput,
 * rerouting refused, late or bad answers and excluding a peer after repeated bad input;
 * {@code TiedEmbeddingExchange} sums the tied {@code wte} gradient of the two end stages before each step;
 * {@code StagePoolAveraging} averages a stage pool's weights with the butterfly all-reduce; {@code StageRejoin} lets a
 * peer assigned to a stage that lost all its peers fetch what its neighbours serve
 * ({@code /starling/stage-weights/2.0.0}: weights, gradient norm, kept copies) and initialise the stage by CheckFree,
 * CheckFree+ (end copies) or redundant computation (replica); {@code StageRouter.stageToJoin} says which stage a
 * joining peer should serve. {@code MeshCheckfreeExperiment} is {@code starling experiment checkfree} over real
 * hosts (the default); in one thread, {@code StagedPipeline}, {@code StageRecovery} and {@code CheckfreeExperiment}
 * run the same stage parts with in-process hops ({@code --transport inprocess}); {@code CheckfreeReport} writes both.
 *
 * <p><b>Decisions.</b>
 * <ul>
 *   <li>The client relays every hop (client → stage peer → client), as SWARM's trainers and Petals' clients do; the
 *       backward goes to the peers that ran the forward (they hold the activations); when one of them is gone the
 *       micro-batch is DROPPED, when a stage has no peer left it is STAGE_LOST and must be reassigned and rebuilt.</li>
 *   <li>The hop that runs the head answers a FORWARD with d(input) and the loss in one round trip.</li>
 *   <li>A stage peer steps after {@code accumulate} completed micro-batches, in a task queued behind the answer that
 *       completed them (so an end stage waiting for the other end's tied gradient never holds up the backward).</li>
 *   <li>Tied embedding: the first and last stage each hold {@code wte}. Over p2p the two end peers exchange their
 *       accumulated {@code wte} gradient (fp32) before every step, keyed by the micro-batch that completed it, and both
 *       step on the sum: with one peer per end stage and no clipping the two copies stay bit-identical (tested).
 *       Gradient clipping is per stage, so with clipping the copies can differ slightly (as in process). A step whose
 *       partner's gradient does not arrive within the timeout goes alone ({@code tiedMisses}). With several peers per
 *       end stage, micro-batches of one step may be served by different end peers; pairing them is not
 *       implemented.</li>
 *   <li>CheckFree+'s swapped micro-batches run over streams: stage peers derive the same {@code OutOfOrderSchedule}
 *       from the micro-batch id, and a tensor from a stage that does not precede the hop in that plan is REJECTED.</li>
 *   <li>Within a stage pool the peers average weights (outer lr 1, no momentum); DiLoCo's Nesterov outer step is left
 *       for later.</li>
 *   <li>A rebuilt stage restarts its AdamW moments; checkpoint-restart restores them (AdamW's step counter, used only
 *       for bias correction, is not rolled back).</li>
 *   <li>{@code starling peer} does not serve stages yet: the manifest's {@code stages} is honoured by the experiment
 *       and the tests, which start every stage peer in one JVM.</li>
 * </ul>
 */
package dev.starling.training.pipeline;
