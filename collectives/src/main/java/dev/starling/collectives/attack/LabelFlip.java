package dev.starling.collectives.attack;

import dev.starling.collectives.CollectivesException;
import java.util.Random;

/**
 * Label flipping for a language model: a fixed, seeded permutation of the vocabulary through which a poisoning
 * peer maps the token stream it trains on, so every target it learns from is the wrong token. Its update is a
 * genuinely trained one (real AdamW steps on real text), only on corrupted labels, which is what makes it hard to
 * tell from an honest update by its size. Pure functions; any thread.
 */
public final class LabelFlip {
    private LabelFlip() {
    }

    /**
     * A permutation of {@code [0, vocabSize)} with no fixed point (every token maps to another): Sattolo's shuffle
     * driven by {@code java.util.Random(seed)}, so the same seed gives the same permutation on every JVM.
     *
     * @param vocabSize tokens in the vocabulary (at least 2)
     * @param seed      the attackers' shared seed
     * @return {@code perm}, where token t is replaced by {@code perm[t]}
     * @throws CollectivesException INTERNAL for a vocabulary under 2
     */
    public static int[] permutation(final int vocabSize, final long seed) {
        if (vocabSize < 2) {
            throw CollectivesException.internal("label flipping needs a vocabulary of at least 2, got " + vocabSize);
        }
        Random random = new Random(seed);
        int[] perm = new int[vocabSize];
        for (int t = 0; t < vocabSize; t++) {
            perm[t] = t;
        }
        // Sattolo's algorithm: a uniformly random single cycle, hence no token maps to itself.
        for (int i = vocabSize - 1; i > 0; i--) {
            int j = random.nextInt(i);
            int swap = perm[i];
            perm[i] = perm[j];
            perm[j] = swap;
        }
        return perm;
    }

    /**
     * Maps a token stream through the permutation.
     *
     * @param tokens the stream; not modified
     * @param perm   from {@link #permutation}
     * @return a new stream, {@code out[i] = perm[tokens[i]]}
     * @throws CollectivesException INTERNAL for a token outside the permutation
     */
    public static int[] apply(final int[] tokens, final int[] perm) {
        int[] out = new int[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            int t = tokens[i];
            if (t < 0 || t >= perm.length) {
                throw CollectivesException.internal("token " + t + " at " + i + " is outside the vocabulary of "
                    + perm.length);
            }
            out[i] = perm[t];
        }
        return out;
    }
}
