package dev.starling.model;

import dev.starling.tensor.ops.Attention;

/**
 * Every activation one forward and backward pass of a {@link Gpt} needs at batch B and context T,
 * allocated once: one {@code float[]} for the forward values that backward reads, one for the
 * gradient scratch (reused layer after layer), and the attention kernel's row scratch. The hot
 * loop then allocates nothing. Offsets into {@link #acts} are plain int fields.
 *
 * <p>Owner: the training thread; not thread-safe. Shapes in the field comments use N = B*T.
 */
public final class Activations {
    /** Batch size B. */
    public final int batch;
    /** Longest context T these buffers hold (a pass may use a shorter one). */
    public final int seq;
    /** Forward values. */
    public final float[] acts;
    /** Gradient scratch: residual gradient and branch gradients. */
    public final float[] grads;
    /** Attention row scratch. */
    public final float[] attnScratch;
    /** Targets of the current pass (N), copied in by {@link Gpt#forward}. */
    public final int[] targets;
    /** Tokens of the current pass (N). */
    public final int[] tokens;
    /** Per-layer offsets. */
    final Layer[] layers;
    /** Embedding output (N,C). */
    final int encoded;
    /** Input of a pipeline stage's head (N,C): the residual the final layer norm reads (GptStage only). */
    final int headIn;
    /** Final layer norm output (N,C) and its statistics (2N). */
    final int lnf;
    final int lnfStats;
    /** Logits (N,V); probabilities after the loss, logit gradient after backward. */
    final int logits;
    /** Per-position losses (N). */
    final int losses;
    /** Gradient scratch offsets: running residual gradient (N,C), two (N,C) and (N,3C), (N,4C). */
    final int dres;
    final int dA;
    final int dB;
    final int dqkv;
    final int d4c;
    /** Dropout seed of the current pass, and whether dropout is on. */
    long dropoutSeed;
    boolean training;

    /** Offsets of one block's saved values. */
    record Layer(int ln1, int ln1Stats, int qkv, int atty, int lse, int attProj, int res2,
                 int ln2, int ln2Stats, int fch, int fchGelu, int fcProj, int res3) {
    }

    /**
     * Allocates the buffers.
     *
     * @param config the model
     * @param batch  B
     * @param seq    T, at most the block size
     * @throws IllegalArgumentException if T exceeds the block size or the buffers exceed 2^31 floats
     */
    public Activations(GptConfig config, int batch, int seq) {
        this(config, batch, seq, 0, config.nLayer(), true);
    }

    /**
     * Allocates the buffers of one pipeline stage: the saved values of blocks {@code [firstLayer, endLayer)} only,
     * and the logits only when the stage holds the output head.
     *
     * @param config     the whole model
     * @param batch      B
     * @param seq        T, at most the block size
     * @param firstLayer the stage's first block
     * @param endLayer   one past its last block
     * @param head       whether the stage holds the final norm and the output head
     * @throws IllegalArgumentException if T exceeds the block size, the layer range is empty or outside the model,
     *                                  or the buffers exceed 2^31 floats
     */
    Activations(GptConfig config, int batch, int seq, int firstLayer, int endLayer, boolean head) {
        if (firstLayer < 0 || endLayer > config.nLayer() || firstLayer > endLayer) {
            throw new IllegalArgumentException("layer range [" + firstLayer + "," + endLayer + ") is outside the "
                    + config.nLayer() + " blocks");
        }
        if (seq > config.blockSize() || seq < 1 || batch < 1) {
            throw new IllegalArgumentException("need 1 <= T <= block size " + config.blockSize() + " and B >= 1, got T "
                    + seq + ", B " + batch);
        }
        this.batch = batch;
        this.seq = seq;
        long n = (long) batch * seq;
        long c = config.nEmbd();
        long[] next = {0};
        layers = new Layer[config.nLayer()];
        for (int l = firstLayer; l < endLayer; l++) {
            layers[l] = new Layer(take(next, n * c), take(next, 2 * n), take(next, 3 * n * c),
                    take(next, n * c), take(next, (long) batch * config.nHead() * seq), take(next, n * c),
                    take(next, n * c), take(next, n * c), take(next, 2 * n), take(next, 4 * n * c),
                    take(next, 4 * n * c), take(next, n * c), take(next, n * c));
        }
        encoded = take(next, n * c);
        headIn = take(next, head ? n * c : 0);
        lnf = take(next, n * c);
        lnfStats = take(next, 2 * n);
        logits = take(next, head ? n * config.vocabSize() : 0);
        losses = take(next, n);
        acts = new float[(int) next[0]];
        long[] g = {0};
        dres = take(g, n * c);
        dA = take(g, n * c);
        dB = take(g, n * c);
        dqkv = take(g, 3 * n * c);
        d4c = take(g, 4 * n * c);
        grads = new float[(int) g[0]];
        attnScratch = new float[Attention.scratchSize(batch, seq, config.nEmbd(), config.nHead())];
        targets = new int[(int) n];
        tokens = new int[(int) n];
    }

    /**
     * Bytes these buffers take, without allocating them.
     *
     * @param config the model
     * @param batch  B
     * @param seq    T
     * @return approximate bytes
     */
    public static long bytesNeeded(GptConfig config, int batch, int seq) {
        long n = (long) batch * seq;
        long c = config.nEmbd();
        long perLayer = 16 * n * c + 3 * n + (long) batch * config.nHead() * seq;
        long floats = config.nLayer() * perLayer + 2 * n * c + 3 * n + n * config.vocabSize() + 12 * n * c;
        return floats * 4 + n * 8;
    }

    private static int take(long[] next, long size) {
        long at = next[0];
        next[0] += size;
        if (next[0] > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("activations exceed 2^31 floats; lower the batch size or context");
        }
        return (int) at;
    }

    /**
     * Offset of the logits in {@link #acts}: (N,V), row {@code b*T+t}.
     *
     * @return the offset
     */
    public int logitsOffset() {
        return logits;
    }

    /**
     * Offset of the per-position losses in {@link #acts}.
     *
     * @return the offset
     */
    public int lossesOffset() {
        return losses;
    }
}
