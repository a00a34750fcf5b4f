package dev.starling.model;

import dev.starling.tensor.FlatBuffer;
import dev.starling.tensor.FlatLayout;
import dev.starling.tensor.TensorView;
import dev.starling.tensor.cpu.ParallelFor;
import dev.starling.tensor.ops.CrossEntropy;
import dev.starling.tensor.ops.Dropout;
import dev.starling.tensor.ops.Embedding;
import dev.starling.tensor.ops.LayerNorm;
import dev.starling.tensor.ops.Linear;
import java.util.Arrays;

/**
 * One pipeline stage of a {@link Gpt}: stage {@code s} of {@code S} holds blocks
 * {@code [s*L/S, (s+1)*L/S)}; the first stage also holds the token and position embeddings, the last the final
 * layer norm and the output head. The head is tied to {@code wte}, so the last stage keeps its own copy of
 * {@code wte} under the same name: the two copies start equal and stay equal when, after each backward, their
 * gradients are summed and given to both ({@link #syncTiedGradients}), which is exactly the whole model's gradient.
 *
 * <p>A stage runs in three parts so that a pipeline may visit stages out of order (CheckFree+): the embedding
 * ({@link #embedForward}), the blocks ({@link #blocksForward}) and the head ({@link #headForward}); activations
 * enter and leave every part as flat {@code (B,T,C)} float arrays and gradients flow back the same way. Parameter
 * names are the whole model's, so {@link #loadFrom} copies a {@code Gpt}'s weights into its stages.
 *
 * <p>Owner: the stage's training thread; {@link #close()} frees both buffers.
 */
public final class GptStage implements AutoCloseable {
    private final GptConfig config;
    private final int index;
    private final int count;
    private final int firstLayer;
    private final int endLayer;
    private final FlatBuffer params;
    private final FlatBuffer grads;
    private final Block[] blocks;
    private final int wte;
    private final int wpe;
    private final int lnfW;
    private final int lnfB;

    /**
     * Builds the stage's layout and allocates zeroed parameters and gradients.
     *
     * @param config the whole model's shape
     * @param index  this stage, 0-based
     * @param count  the number of stages S; must divide {@code nLayer}
     * @throws IllegalArgumentException if the stage count does not divide the blocks or the index is out of range
     */
    public GptStage(GptConfig config, int index, int count) {
        if (count < 1 || config.nLayer() % count != 0 || index < 0 || index >= count) {
            throw new IllegalArgumentException("cannot cut " + config.nLayer() + " blocks into " + count
                    + " equal stages and take stage " + index);
        }
        this.config = config;
        this.index = index;
        this.count = count;
        int per = config.nLayer() / count;
        this.firstLayer = index * per;
        this.endLayer = firstLayer + per;
        FlatLayout.Builder layout = FlatLayout.builder();
        blocks = new Block[per];
        int[] ends = describe(config, index, count, layout, blocks);
        wte = ends[0];
        wpe = ends[1];
        lnfW = ends[2];
        lnfB = ends[3];
        FlatLayout built = layout.build();
        params = new FlatBuffer(built);
        grads = new FlatBuffer(built);
    }

    /** Adds the stage's tensors to a layout in order; returns the offsets of wte, wpe, ln_f.weight, ln_f.bias. */
    private static int[] describe(GptConfig config, int index, int count, FlatLayout.Builder layout, Block[] blocks) {
        int c = config.nEmbd();
        boolean first = index == 0;
        boolean last = index == count - 1;
        int wte = first || last ? layout.add("wte", config.vocabSize(), c).offset() : -1;
        int wpe = first ? layout.add("wpe", config.blockSize(), c).offset() : -1;
        for (int l = 0; l < blocks.length; l++) {
            blocks[l] = new Block(config, layout, index * blocks.length + l);
        }
        int lnfW = last ? layout.add("ln_f.weight", c).offset() : -1;
        int lnfB = last && config.bias() ? layout.add("ln_f.bias", c).offset() : -1;
        return new int[] {wte, wpe, lnfW, lnfB};
    }

    /**
     * The parameter layout of stage {@code index} of {@code count}, without allocating it: how a peer reads the
     * weights a peer of another stage sends (pipeline recovery).
     *
     * @param config the whole model's shape
     * @param index  the stage
     * @param count  S; must divide {@code nLayer}
     * @return the layout {@link #parameters()} of such a stage has
     * @throws IllegalArgumentException as the constructor
     */
    public static FlatLayout layout(GptConfig config, int index, int count) {
        if (count < 1 || config.nLayer() % count != 0 || index < 0 || index >= count) {
            throw new IllegalArgumentException("cannot cut " + config.nLayer() + " blocks into " + count
                    + " equal stages and take stage " + index);
        }
        FlatLayout.Builder b = FlatLayout.builder();
        describe(config, index, count, b, new Block[config.nLayer() / count]);
        return b.build();
    }

    /**
     * Copies every tensor of this stage from a buffer that has the same names (a whole {@link Gpt}'s parameters,
     * or another copy of this stage).
     *
     * @param source the source buffer
     * @throws IllegalArgumentException if the source lacks one of this stage's tensors or has another shape
     */
    public void loadFrom(FlatBuffer source) {
        float[] dst = params.data();
        for (TensorView v : params.layout().views()) {
            if (!source.layout().contains(v.name())) {
                throw new IllegalArgumentException("source has no tensor " + v.name());
            }
            TensorView s = source.layout().view(v.name());
            if (s.size() != v.size()) {
                throw new IllegalArgumentException(v.name() + " has " + s.size() + " values in the source, "
                        + v.size() + " here");
            }
            System.arraycopy(source.data(), s.offset(), dst, v.offset(), v.size());
        }
    }

    /**
     * Activations for this stage's part of a pass at (B,T).
     *
     * @param batch B
     * @param seq   T
     * @return fresh buffers
     */
    public Activations newActivations(int batch, int seq) {
        return new Activations(config, batch, seq, firstLayer, endLayer, isLast());
    }

    /**
     * Embedding part (first stage only): {@code tokens (B,t)} to the residual stream {@code out (B,t,C)}.
     *
     * @param pool        the worker team
     * @param a           this stage's activations
     * @param tokens      B*t token ids (copied)
     * @param t           the context length
     * @param training    whether dropout is on
     * @param dropoutSeed the pass's dropout seed (the whole model's)
     * @param out         receives B*t*C floats
     */
    @SuppressWarnings("checkstyle:ParameterNumber")
    public void embedForward(ParallelFor pool, Activations a, int[] tokens, int t, boolean training, long dropoutSeed,
                             float[] out) {
        requirePart(isFirst(), "embedding");
        int n = a.batch * t;
        int c = config.nEmbd();
        checkIds(tokens, n);
        System.arraycopy(tokens, 0, a.tokens, 0, n);
        a.training = training;
        a.dropoutSeed = dropoutSeed;
        Embedding.forward(pool, a.acts, a.encoded, a.tokens, 0, params.data(), wte, wpe, a.batch, t, c);
        if (training && config.dropout() > 0f) {
            Dropout.apply(pool, a.acts, a.encoded, n * c, config.dropout(), Gpt.siteSeed(dropoutSeed, -1));
        }
        System.arraycopy(a.acts, a.encoded, out, 0, n * c);
    }

    /**
     * Blocks part: residual stream in, residual stream out, both (B,t,C).
     *
     * @param pool        the worker team
     * @param a           this stage's activations
     * @param in          B*t*C floats (copied)
     * @param t           the context length
     * @param training    whether dropout is on
     * @param dropoutSeed the pass's dropout seed
     * @param out         receives B*t*C floats
     */
    @SuppressWarnings("checkstyle:ParameterNumber")
    public void blocksForward(ParallelFor pool, Activations a, float[] in, int t, boolean training, long dropoutSeed,
                              float[] out) {
        int nc = a.batch * t * config.nEmbd();
        a.training = training;
        a.dropoutSeed = dropoutSeed;
        System.arraycopy(in, 0, a.acts, a.encoded, nc);
        float[] p = params.data();
        int residual = a.encoded;
        for (Block b : blocks) {
            b.forward(pool, p, a, residual, t);
            residual = a.layers[b.index()].res3();
        }
        System.arraycopy(a.acts, residual, out, 0, nc);
    }

    /**
     * Head part (last stage only): final layer norm, tied output head and the mean cross-entropy; afterwards the
     * logits buffer holds probabilities, ready for {@link #headBackward}.
     *
     * @param pool    the worker team
     * @param a       this stage's activations
     * @param in      the residual stream (B,t,C) (copied)
     * @param targets B*t next-token ids
     * @param t       the context length
     * @return the mean loss
     */
    public float headForward(ParallelFor pool, Activations a, float[] in, int[] targets, int t) {
        requirePart(isLast(), "head");
        int n = a.batch * t;
        int c = config.nEmbd();
        int v = config.vocabSize();
        float[] p = params.data();
        float[] acts = a.acts;
        System.arraycopy(in, 0, acts, a.headIn, n * c);
        LayerNorm.forward(pool, acts, a.lnf, acts, a.lnfStats, acts, a.headIn, p, lnfW, p, lnfB, n, c);
        Linear.forward(pool, acts, a.logits, acts, a.lnf, p, wte, -1, n, c, v);
        checkIds(targets, n);
        System.arraycopy(targets, 0, a.targets, 0, n);
        CrossEntropy.forward(pool, acts, a.logits, acts, a.losses, a.targets, 0, n, v);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += acts[a.losses + i];
        }
        return (float) (sum / n);
    }

    /**
     * Backward of the head part: accumulates the head's parameter gradients, writes d(in).
     *
     * @param pool the worker team
     * @param a    the activations of that {@link #headForward}
     * @param t    its context length
     * @param dIn  receives B*t*C floats
     */
    public void headBackward(ParallelFor pool, Activations a, int t, float[] dIn) {
        requirePart(isLast(), "head");
        int n = a.batch * t;
        int c = config.nEmbd();
        int v = config.vocabSize();
        float[] p = params.data();
        float[] g = grads.data();
        float[] acts = a.acts;
        float[] d = a.grads;
        CrossEntropy.backward(pool, acts, a.logits, a.targets, 0, 1f / n, n, v);
        Linear.backward(pool, d, a.dA, false, g, wte, -1, acts, a.logits, acts, a.lnf, p, wte, n, c, v);
        Arrays.fill(d, a.dres, a.dres + n * c, 0f);
        LayerNorm.backward(pool, d, a.dres, g, lnfW, g, lnfB, d, a.dA, acts, a.headIn, p, lnfW,
                acts, a.lnfStats, n, c);
        System.arraycopy(d, a.dres, dIn, 0, n * c);
    }

    /**
     * Backward of the blocks part: d(out) in, d(in) out; accumulates the blocks' parameter gradients.
     *
     * @param pool the worker team
     * @param a    the activations of that {@link #blocksForward}
     * @param dOut B*t*C floats
     * @param t    its context length
     * @param dIn  receives B*t*C floats (may be the same array as dOut)
     */
    public void blocksBackward(ParallelFor pool, Activations a, float[] dOut, int t, float[] dIn) {
        int nc = a.batch * t * config.nEmbd();
        float[] d = a.grads;
        System.arraycopy(dOut, 0, d, a.dres, nc);
        float[] p = params.data();
        float[] g = grads.data();
        for (int l = blocks.length - 1; l >= 0; l--) {
            int in = l == 0 ? a.encoded : a.layers[blocks[l - 1].index()].res3();
            blocks[l].backward(pool, p, g, a, in, t);
        }
        System.arraycopy(d, a.dres, dIn, 0, nc);
    }

    /**
     * Backward of the embedding part: accumulates the embeddings' gradients from d(out).
     *
     * @param pool the worker team
     * @param a    the activations of that {@link #embedForward}
     * @param dOut B*t*C floats
     * @param t    its context length
     */
    public void embedBackward(ParallelFor pool, Activations a, float[] dOut, int t) {
        requirePart(isFirst(), "embedding");
        int nc = a.batch * t * config.nEmbd();
        float[] d = a.grads;
        System.arraycopy(dOut, 0, d, a.dres, nc);
        if (a.training && config.dropout() > 0f) {
            Dropout.apply(pool, d, a.dres, nc, config.dropout(), Gpt.siteSeed(a.dropoutSeed, -1));
        }
        Embedding.backward(pool, grads.data(), wte, wpe, d, a.dres, a.tokens, 0, a.batch, t, config.nEmbd());
    }

    /**
     * Makes the two copies of the tied {@code wte} agree on their gradient: both get the sum of the embedding's
     * and the head's contributions, which is the whole model's gradient of the tied weight. With one stage there
     * is one copy and nothing to do.
     *
     * @param first the first stage
     * @param last  the last stage
     */
    public static void syncTiedGradients(GptStage first, GptStage last) {
        if (first == last) {
            return;
        }
        requirePart(first.isFirst() && last.isLast(), "tied embedding");
        float[] a = first.grads.data();
        float[] b = last.grads.data();
        int size = first.config.vocabSize() * first.config.nEmbd();
        for (int i = 0; i < size; i++) {
            float sum = a[first.wte + i] + b[last.wte + i];
            a[first.wte + i] = sum;
            b[last.wte + i] = sum;
        }
    }

    private static void requirePart(boolean held, String part) {
        if (!held) {
            throw new IllegalStateException("this stage does not hold the " + part);
        }
    }

    private void checkIds(int[] ids, int n) {
        Gpt.checkIds(ids, n, config.vocabSize());
    }

    /**
     * The whole model's shape.
     *
     * @return the config
     */
    public GptConfig config() {
        return config;
    }

    /**
     * This stage's index.
     *
     * @return s, 0-based
     */
    public int index() {
        return index;
    }

    /**
     * The number of stages.
     *
     * @return S
     */
    public int count() {
        return count;
    }

    /**
     * Whether this stage holds the embeddings.
     *
     * @return true for stage 0
     */
    public boolean isFirst() {
        return index == 0;
    }

    /**
     * Whether this stage holds the final norm and the output head.
     *
     * @return true for stage S-1
     */
    public boolean isLast() {
        return index == count - 1;
    }

    /**
     * The stage's parameters, one flat buffer with the whole model's tensor names.
     *
     * @return the parameters
     */
    public FlatBuffer parameters() {
        return params;
    }

    /**
     * The stage's gradients, same layout as {@link #parameters()}.
     *
     * @return the gradients
     */
    public FlatBuffer gradients() {
        return grads;
    }

    /**
     * Offset of the blocks' parameters in {@link #parameters()} and how many floats they take: the part CheckFree
     * averages between neighbours (every stage's blocks have the same shapes).
     *
     * @return {offset, length}
     */
    public int[] blockRange() {
        return blockRange(params.layout());
    }

    /**
     * {@link #blockRange()} of a stage layout.
     *
     * @param layout a stage's layout
     * @return {offset, length}
     */
    public static int[] blockRange(FlatLayout layout) {
        int from = Integer.MAX_VALUE;
        int end = 0;
        for (TensorView v : layout.views()) {
            if (v.name().startsWith("h.")) {
                from = Math.min(from, v.offset());
                end = Math.max(end, v.offset() + v.size());
            }
        }
        return new int[] {from, end - from};
    }

    /** Sets every gradient to zero. */
    public void zeroGrad() {
        grads.zero();
    }

    /** Frees the parameter and gradient buffers. */
    @Override
    public void close() {
        params.close();
        grads.close();
    }
}
