package dev.starling.optimizer;

import dev.starling.tensor.FlatBuffer;
import dev.starling.tensor.TensorView;
import dev.starling.tensor.cpu.ParallelFor;
import java.util.function.IntConsumer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * AdamW over flat buffers: parameters, gradients and the two moments share one layout, so a step
 * walks each tensor's range once, with or without weight decay by {@link AdamWConfig#decays}.
 *
 * <p>Owner: the training thread, which owns the moment buffers this object allocates
 * ({@link #close()} frees them). The fast update is Vector API over fixed blocks of at most 8192
 * elements that never straddle two tensors, all handed to the worker team in one call through a
 * task object made once, so a step allocates nothing; {@link #updateReference} is the scalar
 * definition it is tested against.
 */
public final class AdamW implements AutoCloseable {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int BLOCK = 8192;

    private final AdamWConfig config;
    private final FlatBuffer m;
    private final FlatBuffer v;
    private final int[] blockStart;
    private final int[] blockEnd;
    private final boolean[] blockDecays;
    private final IntConsumer blockTask = this::updateBlock;
    private int step;
    private float[] stepParams;
    private float[] stepGrads;
    private float stepLr;
    private float stepBc1;
    private float stepBc2;

    /**
     * Allocates zeroed moments with the parameters' layout.
     *
     * @param config hyperparameters
     * @param params the parameters (only the layout is read)
     */
    public AdamW(AdamWConfig config, FlatBuffer params) {
        this.config = config;
        this.m = new FlatBuffer(params.layout());
        this.v = new FlatBuffer(params.layout());
        int blocks = 0;
        for (TensorView view : params.layout().views()) {
            blocks += (view.size() + BLOCK - 1) / BLOCK;
        }
        blockStart = new int[blocks];
        blockEnd = new int[blocks];
        blockDecays = new boolean[blocks];
        int k = 0;
        for (TensorView view : params.layout().views()) {
            for (int from = view.offset(); from < view.offset() + view.size(); from += BLOCK) {
                blockStart[k] = from;
                blockEnd[k] = Math.min(view.offset() + view.size(), from + BLOCK);
                blockDecays[k++] = config.decays(view.rank());
            }
        }
    }

    /**
     * The first moment buffer.
     *
     * @return m, in the parameters' layout
     */
    public FlatBuffer firstMoment() {
        return m;
    }

    /**
     * The second moment buffer.
     *
     * @return v, in the parameters' layout
     */
    public FlatBuffer secondMoment() {
        return v;
    }

    /**
     * Steps taken so far.
     *
     * @return the step count (bias correction uses step + 1 on the next call)
     */
    public int steps() {
        return step;
    }

    /**
     * One update of every parameter.
     *
     * @param pool   the worker team
     * @param params parameters, updated in place
     * @param grads  gradients, same layout
     * @param lr     this step's learning rate
     */
    public void step(ParallelFor pool, FlatBuffer params, FlatBuffer grads, float lr) {
        step++;
        stepParams = params.data();
        stepGrads = grads.data();
        stepLr = lr;
        stepBc1 = (float) (1.0 - Math.pow(config.beta1(), step));
        stepBc2 = (float) (1.0 - Math.pow(config.beta2(), step));
        pool.run(blockStart.length, blockTask);
        stepParams = null;
        stepGrads = null;
    }

    private void updateBlock(int k) {
        float wd = blockDecays[k] ? config.weightDecay() : 0f;
        update(stepParams, stepGrads, m.data(), v.data(), blockStart[k], blockEnd[k], stepLr, wd, stepBc1, stepBc2);
    }

    @SuppressWarnings("checkstyle:ParameterNumber")
    private void update(float[] p, float[] g, float[] mm, float[] vv, int from, int to, float lr, float wd,
                        float bc1, float bc2) {
        float b1 = config.beta1();
        float b2 = config.beta2();
        float eps = config.eps();
        int i = from;
        int upper = from + S.loopBound(to - from);
        for (; i < upper; i += S.length()) {
            FloatVector gv = FloatVector.fromArray(S, g, i);
            FloatVector mv = FloatVector.fromArray(S, mm, i).mul(b1).add(gv.mul(1f - b1));
            FloatVector vv2 = FloatVector.fromArray(S, vv, i).mul(b2).add(gv.mul(gv).mul(1f - b2));
            mv.intoArray(mm, i);
            vv2.intoArray(vv, i);
            FloatVector mhat = mv.div(bc1);
            FloatVector denom = vv2.div(bc2).lanewise(VectorOperators.SQRT).add(eps);
            FloatVector pv = FloatVector.fromArray(S, p, i);
            pv.sub(mhat.div(denom).add(pv.mul(wd)).mul(lr)).intoArray(p, i);
        }
        for (; i < to; i++) {
            mm[i] = b1 * mm[i] + (1f - b1) * g[i];
            vv[i] = b2 * vv[i] + (1f - b2) * g[i] * g[i];
            float mhat = mm[i] / bc1;
            float vhat = vv[i] / bc2;
            p[i] -= lr * (mhat / ((float) Math.sqrt(vhat) + eps) + wd * p[i]);
        }
    }

    /**
     * The scalar reference of one element range's update at step {@code t} (1-based).
     *
     * @param config hyperparameters
     * @param p      parameters
     * @param g      gradients
     * @param mm     first moments
     * @param vv     second moments
     * @param from   first index
     * @param to     end index (exclusive)
     * @param lr     learning rate
     * @param decay  whether this range decays
     * @param t      the step number, from 1
     */
    @SuppressWarnings("checkstyle:ParameterNumber")
    public static void updateReference(AdamWConfig config, float[] p, float[] g, float[] mm, float[] vv,
                                       int from, int to, float lr, boolean decay, int t) {
        float wd = decay ? config.weightDecay() : 0f;
        for (int i = from; i < to; i++) {
            mm[i] = config.beta1() * mm[i] + (1f - config.beta1()) * g[i];
            vv[i] = config.beta2() * vv[i] + (1f - config.beta2()) * g[i] * g[i];
            float mhat = mm[i] / (float) (1.0 - Math.pow(config.beta1(), t));
            float vhat = vv[i] / (float) (1.0 - Math.pow(config.beta2(), t));
            p[i] -= lr * (mhat / ((float) Math.sqrt(vhat) + config.eps()) + wd * p[i]);
        }
    }

    /** Frees the moment buffers. */
    @Override
    public void close() {
        m.close();
        v.close();
    }
}
