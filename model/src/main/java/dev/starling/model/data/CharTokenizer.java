package dev.starling.model.data;

import dev.starling.model.BadInputException;
import java.util.Arrays;
import java.util.TreeSet;

/**
 * Character-level tokens, as nanoGPT's shakespeare_char: the vocabulary is the sorted set of the
 * Unicode code points in the training text, and each code point's id is its rank. Immutable.
 */
public final class CharTokenizer implements Tokenizer {
    private final int[] codePoints;

    /**
     * A tokenizer over the given symbols (sorted and de-duplicated here).
     *
     * @param alphabet every symbol, in any order
     */
    public CharTokenizer(String alphabet) {
        TreeSet<Integer> set = new TreeSet<>();
        alphabet.codePoints().forEach(set::add);
        codePoints = set.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * The tokenizer whose vocabulary is exactly the symbols of {@code text}.
     *
     * @param text the corpus
     * @return the tokenizer
     */
    public static CharTokenizer fitting(String text) {
        return new CharTokenizer(text);
    }

    @Override
    public int vocabSize() {
        return codePoints.length;
    }

    @Override
    public int[] encode(String text) {
        return text.codePoints().map(cp -> {
            int id = Arrays.binarySearch(codePoints, cp);
            if (id < 0) {
                throw new BadInputException("character U+" + Integer.toHexString(cp)
                        + " is not in this model's vocabulary; use only characters from its training text");
            }
            return id;
        }).toArray();
    }

    @Override
    public String decode(int[] ids, int from, int length) {
        StringBuilder sb = new StringBuilder(length);
        for (int i = from; i < from + length; i++) {
            sb.appendCodePoint(codePoints[ids[i]]);
        }
        return sb.toString();
    }

    @Override
    public String spec() {
        return "char:" + new String(codePoints, 0, codePoints.length);
    }
}
