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
import java.util.SplittableRandom;

/**
 * The GPT, as nanoGPT's {@code GPT}: token and position embeddings, {@code nLayer} {@link Block}s,
 * a final layer norm and an output head tied to the token embedding. Parameters and gradients are
 * each one {@link FlatBuffer} with Hugging Face GPT-2 tensor names ({@code wte}, {@code h.0.attn.c_attn.weight},
 * ... with weights in PyTorch's {@code (out,in)} layout); activations live in an {@link Activations}.
 *
 * <p>Owner: the training thread, which calls forward, backward and {@link #zeroGrad} in turn;
 * {@link #close()} frees both buffers. Kernels fan out over the {@link ParallelFor} passed in.
 */
public final class Gpt implements AutoCloseable {
    private final GptConfig config;
    private final FlatBuffer params;
    private final FlatBuffer grads;
    private final Block[] blocks;
    private final int wte;
    private final int wpe;
    private final int lnfW;
    private final int lnfB;

    /**
     * Builds the layout and allocates zeroed parameters and gradients (call {@link #initGpt2} next
     * or load weights).
     *
     * @param config the model's shape
     */
    public Gpt(GptConfig config) {
        this.config = config;
        FlatLayout.Builder layout = FlatLayout.builder();
        int c = config.nEmbd();
        wte = layout.add("wte", config.vocabSize(), c).offset();
        wpe = layout.add("wpe", config.blockSize(), c).offset();
        blocks = new Block[config.nLayer()];
        for (int l = 0; l < blocks.length; l++) {
            blocks[l] = new Block(config, layout, l);
        }
        lnfW = layout.add("ln_f.weight", c).offset();
        lnfB = config.bias() ? layout.add("ln_f.bias", c).offset() : -1;
        FlatLayout built = layout.build();
        params = new FlatBuffer(built);
        grads = new FlatBuffer(built);
    }

    /**
     * GPT-2 initialisation: weights and embeddings normal with std 0.02, the two residual
     * projections of each block with std {@code 0.02 / sqrt(2 * nLayer)}, biases 0, norm gains 1.
     *
     * @param seed the random seed
     */
    public void initGpt2(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] p = params.data();
        float residualStd = (float) (0.02 / Math.sqrt(2.0 * config.nLayer()));
        java.util.Set<Integer> residual = new java.util.HashSet<>();
        for (Block b : blocks) {
            for (int off : b.residualProjections()) {
                residual.add(off);
            }
        }
        for (TensorView v : params.layout().views()) {
            if (v.rank() == 1) {
                boolean gain = v.name().endsWith("ln_1.weight") || v.name().endsWith("ln_2.weight")
                        || v.name().equals("ln_f.weight");
                Arrays.fill(p, v.offset(), v.offset() + v.size(), gain ? 1f : 0f);
                continue;
            }
            float std = residual.contains(v.offset()) ? residualStd : 0.02f;
            for (int i = v.offset(); i < v.offset() + v.size(); i++) {
                p[i] = (float) (random.nextGaussian() * std);
            }
        }
    }

    /**
     * The model's shape.
     *
     * @return the config
     */
    public GptConfig config() {
        return config;
    }

    /**
     * All parameters, one flat buffer.
     *
     * @return the parameters
     */
    public FlatBuffer parameters() {
        return params;
    }

    /**
     * All gradients, same layout as {@link #parameters()}.
     *
     * @return the gradients
     */
    public FlatBuffer gradients() {
        return grads;
    }

    /** Sets every gradient to zero (before a step's first backward). */
    public void zeroGrad() {
        grads.zero();
    }

    /**
     * Forward pass over {@code tokens (B,t)}; with targets also the mean cross-entropy loss, after
     * which the logits buffer holds probabilities (ready for {@link #backward}).
     *
     * @param pool        the worker team
     * @param a           activations for at least (B,t)
     * @param tokens      B*t token ids, row-major (copied)
     * @param targets     B*t next-token ids, or null for logits only
     * @param t           the context length of this pass, at most {@code a.seq}
     * @param training    whether dropout is on
     * @param dropoutSeed the dropout masks' seed for this pass
     * @return the mean loss, or NaN without targets
     * @throws IllegalArgumentException if a token id is outside the vocabulary
     */
    @SuppressWarnings("checkstyle:ParameterNumber")
    public float forward(ParallelFor pool, Activations a, int[] tokens, int[] targets, int t, boolean training,
                         long dropoutSeed) {
        int n = a.batch * t;
        int c = config.nEmbd();
        int v = config.vocabSize();
        checkIds(tokens, n);
        System.arraycopy(tokens, 0, a.tokens, 0, n);
        a.training = training;
        a.dropoutSeed = dropoutSeed;
        float[] p = params.data();
        float[] acts = a.acts;
        Embedding.forward(pool, acts, a.encoded, a.tokens, 0, p, wte, wpe, a.batch, t, c);
        if (training && config.dropout() > 0f) {
            Dropout.apply(pool, acts, a.encoded, n * c, config.dropout(), siteSeed(dropoutSeed, -1));
        }
        int residual = a.encoded;
        for (int l = 0; l < blocks.length; l++) {
            blocks[l].forward(pool, p, a, residual, t);
            residual = a.layers[l].res3();
        }
        LayerNorm.forward(pool, acts, a.lnf, acts, a.lnfStats, acts, residual, p, lnfW, p, lnfB, n, c);
        Linear.forward(pool, acts, a.logits, acts, a.lnf, p, wte, -1, n, c, v);
        if (targets == null) {
            return Float.NaN;
        }
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
     * Backward pass of the mean loss of the last {@link #forward} (which must have had targets);
     * accumulates into {@link #gradients()}.
     *
     * @param pool the worker team
     * @param a    the activations of that forward
     * @param t    its context length
     */
    public void backward(ParallelFor pool, Activations a, int t) {
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
        int last = blocks.length - 1;
        LayerNorm.backward(pool, d, a.dres, g, lnfW, g, lnfB, d, a.dA, acts, a.layers[last].res3(), p, lnfW,
                acts, a.lnfStats, n, c);
        for (int l = last; l >= 0; l--) {
            int in = l == 0 ? a.encoded : a.layers[l - 1].res3();
            blocks[l].backward(pool, p, g, a, in, t);
        }
        if (a.training && config.dropout() > 0f) {
            Dropout.apply(pool, d, a.dres, n * c, config.dropout(), siteSeed(a.dropoutSeed, -1));
        }
        Embedding.backward(pool, g, wte, wpe, d, a.dres, a.tokens, 0, a.batch, t, c);
    }

    private void checkIds(int[] ids, int n) {
        checkIds(ids, n, config.vocabSize());
    }

    /** Rejects fewer than n ids or an id outside [0, v). */
    static void checkIds(int[] ids, int n, int v) {
        if (ids.length < n) {
            throw new IllegalArgumentException("need " + n + " token ids, got " + ids.length);
        }
        for (int i = 0; i < n; i++) {
            if (ids[i] < 0 || ids[i] >= v) {
                throw new IllegalArgumentException("token id " + ids[i] + " is outside the vocabulary [0," + v + ")");
            }
        }
    }

    /**
     * The dropout seed of one site in one pass.
     *
     * @param passSeed the pass's seed
     * @param site     the site number (-1 for the embeddings)
     * @return a seed that differs per site
     */
    static long siteSeed(long passSeed, long site) {
        return passSeed * 0x9E3779B97F4A7C15L + (site + 2) * 0xD1B54A32D192ED03L;
    }

    /** Frees the parameter and gradient buffers. */
    @Override
    public void close() {
        params.close();
        grads.close();
    }
}
