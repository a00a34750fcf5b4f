package dev.starling.tensor.ops;

import dev.starling.tensor.cpu.ParallelFor;
import java.util.function.IntConsumer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Softmax cross-entropy over the vocabulary, {@code logits (N,V), targets (N) -> losses (N)}.
 * Forward turns the logits into probabilities in place (they are all backward needs), and backward
 * turns the probabilities into the logit gradient in place, so the largest activation exists once.
 * Fast kernels are Vector API, split over rows. Thread: the pool's owner thread.
 */
public final class CrossEntropy {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ThreadLocal<Task> TASKS = ThreadLocal.withInitial(Task::new);

    private CrossEntropy() {
    }

    /**
     * Forward, in place: logits become probabilities; {@code losses[lOff+r] = -log p[r, target[r]]}.
     *
     * @param pool    the worker team
     * @param logits  (N,V) at off, overwritten with probabilities
     * @param off     its offset
     * @param losses  per-row losses (N) at lOff
     * @param lOff    its offset
     * @param targets target ids (N) from tOff, each in {@code [0,V)}
     * @param tOff    its offset
     * @param n       rows
     * @param v       vocabulary size
     */
    @SuppressWarnings("checkstyle:ParameterNumber")
    public static void forward(ParallelFor pool, float[] logits, int off, float[] losses, int lOff,
                               int[] targets, int tOff, int n, int v) {
        Task k = TASKS.get();
        k.set(false, logits, off, losses, lOff, targets, tOff, 0f, v);
        pool.run(n, k);
        k.set(false, null, 0, null, 0, null, 0, 0f, 0);
    }

    /**
     * Softmax of one row in place (also used for sampling).
     *
     * @param x   the array
     * @param row offset of the row
     * @param v   its length
     */
    public static void softmaxRow(float[] x, int row, int v) {
        int upper = S.loopBound(v);
        int i = 0;
        FloatVector mv = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (; i < upper; i += S.length()) {
            mv = mv.max(FloatVector.fromArray(S, x, row + i));
        }
        float max = mv.reduceLanes(VectorOperators.MAX);
        for (; i < v; i++) {
            max = Math.max(max, x[row + i]);
        }
        FloatVector maxv = FloatVector.broadcast(S, max);
        FloatVector acc = FloatVector.zero(S);
        for (i = 0; i < upper; i += S.length()) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(S, x, row + i).sub(maxv));
            e.intoArray(x, row + i);
            acc = acc.add(e);
        }
        float sum = VectorMath.sum(acc);
        for (; i < v; i++) {
            float e = (float) Math.exp(x[row + i] - max);
            x[row + i] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (i = 0; i < upper; i += S.length()) {
            FloatVector.fromArray(S, x, row + i).mul(inv).intoArray(x, row + i);
        }
        for (; i < v; i++) {
            x[row + i] *= inv;
        }
    }

    /**
     * Backward, in place: probabilities become {@code dloss * (p - onehot(target))}.
     *
     * @param pool    the worker team
     * @param probs   (N,V) at off, overwritten with the logit gradient
     * @param off     its offset
     * @param targets target ids from tOff
     * @param tOff    its offset
     * @param dloss   gradient of the total loss with respect to each row's loss (1/N for a mean)
     * @param n       rows
     * @param v       vocabulary size
     */
    @SuppressWarnings("checkstyle:ParameterNumber")
    public static void backward(ParallelFor pool, float[] probs, int off, int[] targets, int tOff, float dloss,
                                int n, int v) {
        Task k = TASKS.get();
        k.set(true, probs, off, null, 0, targets, tOff, dloss, v);
        pool.run(n, k);
        k.set(false, null, 0, null, 0, null, 0, 0f, 0);
    }

    private static void forwardRow(float[] logits, int off, float[] losses, int lOff, int[] targets, int tOff, int v,
                                   int r) {
        int row = off + r * v;
        softmaxRow(logits, row, v);
        losses[lOff + r] = (float) -Math.log(Math.max(logits[row + targets[tOff + r]], 1e-30f));
    }

    private static void backwardRow(float[] probs, int off, int[] targets, int tOff, float dloss, int v, int r) {
        int row = off + r * v;
        int upper = S.loopBound(v);
        int i = 0;
        for (; i < upper; i += S.length()) {
            FloatVector.fromArray(S, probs, row + i).mul(dloss).intoArray(probs, row + i);
        }
        for (; i < v; i++) {
            probs[row + i] *= dloss;
        }
        probs[row + targets[tOff + r]] -= dloss;
    }

    /** The arguments of one call, reused by its owner thread so that a call allocates nothing. */
    private static final class Task implements IntConsumer {
        private boolean backward;
        private float[] rows;
        private float[] losses;
        private int[] targets;
        private int off;
        private int lOff;
        private int tOff;
        private float dloss;
        private int v;

        @SuppressWarnings("checkstyle:ParameterNumber")
        void set(boolean isBackward, float[] rowArr, int rowAt, float[] lossArr, int lossAt, int[] targetArr,
                 int targetAt, float lossGrad, int vocab) {
            backward = isBackward;
            rows = rowArr;
            off = rowAt;
            losses = lossArr;
            lOff = lossAt;
            targets = targetArr;
            tOff = targetAt;
            dloss = lossGrad;
            v = vocab;
        }

        @Override
        public void accept(int r) {
            if (backward) {
                backwardRow(rows, off, targets, tOff, dloss, v, r);
            } else {
                forwardRow(rows, off, losses, lOff, targets, tOff, v, r);
            }
        }
    }

    /**
     * Scalar reference of forward, not in place; offsets zero.
     *
     * @param probs   output probabilities (N,V)
     * @param losses  output losses (N)
     * @param logits  input (N,V)
     * @param targets (N)
     * @param n       rows
     * @param v       vocabulary
     */
    public static void forwardReference(float[] probs, float[] losses, float[] logits, int[] targets, int n, int v) {
        for (int r = 0; r < n; r++) {
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < v; i++) {
                max = Math.max(max, logits[r * v + i]);
            }
            float sum = 0f;
            for (int i = 0; i < v; i++) {
                probs[r * v + i] = (float) Math.exp(logits[r * v + i] - max);
                sum += probs[r * v + i];
            }
            for (int i = 0; i < v; i++) {
                probs[r * v + i] /= sum;
            }
            losses[r] = (float) -Math.log(probs[r * v + targets[r]]);
        }
    }

    /**
     * Scalar reference of backward, not in place; offsets zero.
     *
     * @param dlogits output (N,V)
     * @param probs   probabilities (N,V)
     * @param targets (N)
     * @param dloss   per-row loss gradient
     * @param n       rows
     * @param v       vocabulary
     */
    public static void backwardReference(float[] dlogits, float[] probs, int[] targets, float dloss, int n, int v) {
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < v; i++) {
                float ind = i == targets[r] ? 1f : 0f;
                dlogits[r * v + i] = (probs[r * v + i] - ind) * dloss;
            }
        }
    }
}
