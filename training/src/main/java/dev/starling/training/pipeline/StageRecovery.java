package dev.starling.training.pipeline;

import dev.starling.fault.checkfree.CheckFree;
import dev.starling.fault.checkfree.RecoveryPlan;
import dev.starling.model.GptStage;
import dev.starling.tensor.FlatBuffer;
import dev.starling.tensor.TensorView;
import java.util.SplittableRandom;

/**
 * Applies a {@link RecoveryPlan} to a pipeline's stages: the stage that lost all its peers gets fresh weights from
 * its neighbours (CheckFree's weighted average, or a copy), its embedding or head from the copy a neighbour keeps
 * (CheckFree+) or, without one, from the tied {@code wte} at the other end of the pipeline plus a fresh
 * initialisation of what nobody else holds ({@code wpe}, {@code ln_f}); then its optimizer restarts.
 *
 * <p>Stateless; runs on the thread that owns the stages.
 */
public final class StageRecovery {
    private StageRecovery() {
    }

    /**
     * Rebuilds a lost stage in place.
     *
     * @param plan     where its weights come from (not CHECKPOINT or REPLICA, which the caller handles)
     * @param pipeline the pipeline, whose stage {@code lost} is overwritten
     * @param lost     the lost stage
     * @param endCopy  the copy of the lost stage's embedding or head held by {@code plan.endLayersFrom()}, or null
     * @param seed     seed of the fresh initialisation of what nobody holds
     */
    public static void rebuild(RecoveryPlan plan, StagedPipeline pipeline, int lost, FlatBuffer endCopy, long seed) {
        StageWorker target = pipeline.worker(lost);
        GptStage stage = target.stage();
        int[] range = stage.blockRange();
        float[] dst = stage.parameters().data();
        switch (plan.source()) {
            case AVERAGE -> {
                StageWorker prev = pipeline.worker(plan.neighbours()[0]);
                StageWorker next = pipeline.worker(plan.neighbours()[1]);
                int[] pr = prev.stage().blockRange();
                int[] nr = next.stage().blockRange();
                CheckFree.average(prev.stage().parameters().data(), pr[0], prev.lastGradNorm(),
                        next.stage().parameters().data(), nr[0], next.lastGradNorm(), dst, range[0], range[1]);
            }
            case COPY -> {
                GptStage from = pipeline.worker(plan.neighbours()[0]).stage();
                System.arraycopy(from.parameters().data(), from.blockRange()[0], dst, range[0], range[1]);
            }
            default -> throw new IllegalArgumentException(plan.source() + " is not rebuilt from neighbours");
        }
        if (stage.isFirst() || stage.isLast()) {
            restoreEnds(pipeline, stage, endCopy, seed);
        }
        target.resetOptimizer();
    }

    /** Embedding or head: from a neighbour's copy when there is one, else tied wte from the other end + fresh init. */
    private static void restoreEnds(StagedPipeline pipeline, GptStage stage, FlatBuffer endCopy, long seed) {
        FlatBuffer params = stage.parameters();
        if (endCopy != null) {
            copyEnds(endCopy, params);
            return;
        }
        GptStage other = pipeline.worker(stage.isFirst() ? pipeline.stages() - 1 : 0).stage();
        float[] wte = null;
        if (other != stage) {
            TensorView o = other.parameters().layout().view("wte");
            wte = java.util.Arrays.copyOfRange(other.parameters().data(), o.offset(), o.offset() + o.size());
        }
        initEnds(params, wte, seed);
    }

    /**
     * Initialises an end stage's layers outside the blocks without a copy of them: {@code wte} from the tied copy at
     * the other end when given, norms to 1/0, other matrices fresh (normal, std 0.02).
     *
     * @param params the stage's parameters (the blocks are left alone)
     * @param wte    the other end's {@code wte}, or null
     * @param seed   seed of the fresh values
     */
    static void initEnds(FlatBuffer params, float[] wte, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] p = params.data();
        for (TensorView v : params.layout().views()) {
            if (v.name().startsWith("h.")) {
                continue;
            }
            if (v.name().equals("wte") && wte != null) {
                System.arraycopy(wte, 0, p, v.offset(), v.size());
            } else if (v.rank() == 1) {
                java.util.Arrays.fill(p, v.offset(), v.offset() + v.size(), v.name().endsWith("weight") ? 1f : 0f);
            } else {
                for (int i = v.offset(); i < v.offset() + v.size(); i++) {
                    p[i] = (float) (random.nextGaussian() * 0.02);
                }
            }
        }
    }

    /**
     * Copies the tensors outside the blocks (embeddings, final norm, tied head) between two buffers of the same
     * names: how a neighbour refreshes its copy of an end stage's layers (CheckFree+), and how it gives them back.
     *
     * @param from source
     * @param to   destination (only names it holds are copied)
     */
    public static void copyEnds(FlatBuffer from, FlatBuffer to) {
        for (TensorView v : to.layout().views()) {
            if (!v.name().startsWith("h.") && from.layout().contains(v.name())) {
                TensorView s = from.layout().view(v.name());
                System.arraycopy(from.data(), s.offset(), to.data(), v.offset(), v.size());
            }
        }
    }
}
