package dev.starling.model.data;

import dev.starling.model.BadInputException;
import java.util.Arrays;

/**
 * A token stream split into the first 90% for training and the last 10% for validation, as
 * nanoGPT's prepare scripts do. Immutable after construction; safe to share between threads.
 *
 * @param train     training tokens
 * @param val       validation tokens
 * @param vocabSize ids are in {@code [0, vocabSize)}
 * @param tokenizer how to turn ids back into text, or null for pre-tokenised files
 * @param source    where the tokens came from, for messages
 */
public record TokenDataset(int[] train, int[] val, int vocabSize, Tokenizer tokenizer, String source) {
    /** The share of tokens used for training. */
    public static final double TRAIN_FRACTION = 0.9;

    /**
     * Splits a token stream 90/10.
     *
     * @param tokens    all tokens
     * @param vocabSize the vocabulary size every id must be below
     * @param tokenizer the tokenizer, or null
     * @param source    where they came from
     * @return the dataset
     * @throws BadInputException if an id is outside the vocabulary or the stream is too short
     */
    public static TokenDataset split(int[] tokens, int vocabSize, Tokenizer tokenizer, String source) {
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= vocabSize) {
                throw new BadInputException(source + ": token id " + tokens[i] + " at position " + i
                        + " is outside the vocabulary [0," + vocabSize + "); pass a larger --vocab-size");
            }
        }
        int cut = (int) (tokens.length * TRAIN_FRACTION);
        return new TokenDataset(Arrays.copyOfRange(tokens, 0, cut), Arrays.copyOfRange(tokens, cut, tokens.length),
                vocabSize, tokenizer, source);
    }

    /**
     * Checks that both splits hold at least one window of {@code seq + 1} tokens.
     *
     * @param seq the context length
     * @throws BadInputException naming the split that is too short
     */
    public void requireWindow(int seq) {
        if (train.length < seq + 1 || val.length < seq + 1) {
            throw new BadInputException(source + " is too short: its train split has " + train.length
                    + " tokens and its validation split " + val.length + ", each needs at least " + (seq + 1)
                    + "; use more data or a shorter --block-size");
        }
    }
}
