package dev.starling.model.data;

/**
 * Text to token ids and back. Implementations are immutable and safe to share between threads.
 */
public sealed interface Tokenizer permits CharTokenizer, ByteTokenizer {
    /**
     * The number of distinct ids.
     *
     * @return ids are in {@code [0, vocabSize())}
     */
    int vocabSize();

    /**
     * Encodes text.
     *
     * @param text the text
     * @return its token ids
     * @throws dev.starling.model.BadInputException if the text has a symbol outside the vocabulary
     */
    int[] encode(String text);

    /**
     * Decodes ids.
     *
     * @param ids    token ids
     * @param from   first index
     * @param length how many
     * @return the text
     */
    String decode(int[] ids, int from, int length);

    /**
     * A string that {@link #fromSpec} turns back into an equal tokenizer (stored in checkpoints).
     *
     * @return the spec
     */
    String spec();

    /**
     * Rebuilds a tokenizer from {@link #spec()}.
     *
     * @param spec the spec
     * @return the tokenizer
     * @throws dev.starling.model.BadInputException for an unknown spec
     */
    static Tokenizer fromSpec(String spec) {
        if ("byte".equals(spec)) {
            return new ByteTokenizer();
        }
        if (spec != null && spec.startsWith("char:")) {
            return new CharTokenizer(spec.substring("char:".length()));
        }
        throw new dev.starling.model.BadInputException("unknown tokenizer '" + spec
                + "'; expected 'byte' or 'char:...'");
    }
}
